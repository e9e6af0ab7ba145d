#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP client that sends bytes as given and reads until the server
/// closes: for tests of servers (this one, or a fake server) that must control
/// every byte, send half a request, or hang up mid-response. Not an HTTP client.
public final class RawHTTPConnection {
    private var fd: Int32

    /// Connects to `host:port` (numeric or a name); reads wait at most `timeout` seconds.
    public init(host: String = "127.0.0.1", port: UInt16, timeout: Double = 30) throws(HTTPServerError) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else { throw HTTPServerError("cannot resolve \(host)") }
        defer { freeaddrinfo(list) }
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let info = node {
            node = info.pointee.ai_next
            let s = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.pointee.ai_protocol)
            guard s >= 0 else { continue }
            if connect(s, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                fd = s
                Socket.setTimeout(s, option: SO_RCVTIMEO, seconds: timeout)
                Socket.setTimeout(s, option: SO_SNDTIMEO, seconds: timeout)
                return
            }
            Glibc.close(s)
        }
        throw HTTPServerError("cannot connect to \(host):\(port): \(String(cString: strerror(errno)))")
    }

    deinit { close() }

    /// False when the server has closed or reset the connection.
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool { fd >= 0 && Socket.sendAll(fd, bytes) }

    @discardableResult
    public func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// The next bytes: nil on timeout or reset, [] once the server has closed.
    public func receive() -> [UInt8]? { fd >= 0 ? Socket.receive(fd, max: 64 * 1024) : nil }

    /// Everything until the server closes (or a timeout/reset ends it early).
    public func receiveAll() -> [UInt8] {
        var out: [UInt8] = []
        while let bytes = receive(), !bytes.isEmpty { out += bytes }
        return out
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Sends `request` whole and returns the raw response.
    public static func exchange(port: UInt16, _ request: [UInt8], timeout: Double = 30) throws(HTTPServerError) -> [UInt8] {
        let c = try RawHTTPConnection(port: port, timeout: timeout)
        c.send(request)
        return c.receiveAll()
    }
}
