#if canImport(Glibc)
import Glibc
#endif

/// Writes one response to a connection. Bytes are buffered until `flush()`
/// (or until 64 KB are pending). The body is delimited by closing the
/// connection (every response carries `Connection: close`) unless the head
/// gave a Content-Length, so a handler may stream for as long as it likes.
///
/// `write` sends raw bytes, head or not: a test's fake server can send
/// anything, including malformed HTTP. Every call returns false once the client
/// is gone (a failed or timed-out send, EPIPE never raises SIGPIPE), after
/// `abort()`, and while the server stops; a generating handler should stop then.
///
/// Use it only on the handler's thread and only until the handler returns:
/// the server closes the connection right after.
public final class HTTPResponseWriter: @unchecked Sendable {
    private let fd: Int32
    private let isStopping: @Sendable () -> Bool
    private let closeSocket: (_ reset: Bool) -> Void
    private var pending: [UInt8] = []
    private var failed = false
    public private(set) var aborted = false
    /// The status of the head written, if one was.
    public private(set) var status: Int?
    /// Bytes handed to `write` so far (sent or pending).
    public private(set) var bytesWritten = 0

    static let flushThreshold = 64 * 1024

    init(fd: Int32, isStopping: @escaping @Sendable () -> Bool, closeSocket: @escaping (_ reset: Bool) -> Void) {
        self.fd = fd
        self.isStopping = isStopping
        self.closeSocket = closeSocket
    }

    /// Status line and headers, then `Content-Length` (when given) and
    /// `Connection: close`; those two in `headers` are dropped, so the framing
    /// is always the writer's. CR and LF in names or values become spaces, so a
    /// value taken from a request cannot split the response. (A fake server
    /// that needs another framing writes its own head with `write`.)
    @discardableResult
    public func writeHead(status: Int, headers: [(String, String)] = [], contentLength: Int? = nil) -> Bool {
        func clean(_ s: String) -> String {
            String(s.unicodeScalars.map { $0 == "\r" || $0 == "\n" ? " " : Character($0) })
        }
        var text = "HTTP/1.1 \(status) \(HTTPStatus.reason(status))\r\n"
        for (name, value) in headers where name.lowercased() != "connection" && name.lowercased() != "content-length" {
            text += "\(clean(name)): \(clean(value))\r\n"
        }
        if let contentLength { text += "Content-Length: \(max(0, contentLength))\r\n" }
        text += "Connection: close\r\n\r\n"
        self.status = status
        return write(Array(text.utf8))
    }

    /// Raw bytes (body or anything else).
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        guard !failed, !aborted else { return false }
        pending.append(contentsOf: bytes)
        bytesWritten += bytes.count
        return pending.count >= Self.flushThreshold ? flush() : true
    }

    @discardableResult
    public func write(_ text: String) -> Bool { write(Array(text.utf8)) }

    /// Sends what is pending.
    @discardableResult
    public func flush() -> Bool {
        guard !failed, !aborted else { return false }
        guard !pending.isEmpty else { return !isStopping() }
        let ok = Socket.sendAll(fd, pending)
        pending.removeAll(keepingCapacity: true)
        if !ok { failed = true }
        return ok && !isStopping()
    }

    /// A whole response with a fixed body.
    @discardableResult
    public func respond(status: Int, headers: [(String, String)] = [], body: [UInt8]) -> Bool {
        writeHead(status: status, headers: headers, contentLength: body.count)
        write(body)
        return flush()
    }

    /// Drops the connection at once with a TCP reset, discarding anything
    /// pending (for fake servers that simulate a crash mid-response).
    public func abort() {
        guard !aborted else { return }
        aborted = true
        pending.removeAll()
        closeSocket(true)
    }

    /// True when writing is pointless: a send failed, the response was
    /// aborted, the server is stopping, or the client closed its end (seen
    /// without writing, so a handler that is still computing a fixed-size body
    /// can stop early; a client that only half-closes counts as gone).
    public var isClientGone: Bool {
        if failed || aborted || isStopping() { return true }
        var p = pollfd(fd: fd, events: Socket.pollPeerClosed, revents: 0)
        guard poll(&p, 1, 0) > 0 else { return false }
        return p.revents & (Socket.pollPeerClosed | Int16(POLLHUP) | Int16(POLLERR) | Int16(POLLNVAL)) != 0
    }

    /// After the handler: a handler that wrote nothing gets a 500; pending bytes go out.
    func finish(errorBody: (Int, String) -> (contentType: String, body: [UInt8])) {
        guard !failed, !aborted else { return }
        if bytesWritten == 0 {
            let e = errorBody(500, "the handler wrote no response")
            respond(status: 500, headers: [("Content-Type", e.contentType)], body: e.body)
        } else {
            flush()
        }
    }
}
