#if canImport(Glibc)
import Glibc
#endif

public struct HTTPServerError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A small HTTP/1.1 server on POSIX sockets: one accept thread, one thread per
/// connection (at most `maxConnections`; beyond that a 503), one request per
/// connection (`Connection: close`). Built for a model box on a LAN and for
/// tests, not for the open internet: there is no TLS.
///
/// A slow client cannot hold a thread forever: each read waits at most
/// `readTimeout`, the whole request must arrive within `requestTimeout`, and
/// each send waits at most `writeTimeout`. `stop()` closes the listener, wakes
/// every connection and joins every thread.
public final class HTTPServer: @unchecked Sendable {
    public struct Configuration: Sendable {
        /// Address to bind (a name or a numeric IPv4/IPv6 address).
        public var host = "127.0.0.1"
        /// 0: an ephemeral port (see `port` after `start()`).
        public var port: UInt16 = 0
        public var maxConnections = 8
        public var readTimeout = 10.0
        public var requestTimeout = 30.0
        public var writeTimeout = 30.0
        public var limits = HTTPLimits()
        /// The body of the server's own error responses (bad requests, 503 when
        /// full, 408 timeouts); plain text unless an API layer wants its own format.
        public var errorBody: @Sendable (_ status: Int, _ message: String) -> (contentType: String, body: [UInt8]) = { _, message in
            ("text/plain; charset=utf-8", Array((message + "\n").utf8))
        }
        public init() {}
    }

    /// Runs on the connection's thread; the connection closes when it returns.
    public typealias Handler = @Sendable (HTTPRequest, HTTPResponseWriter) -> Void

    private struct Connection {
        var fd: Int32
        var thread: pthread_t?
        var done = false
    }

    public let configuration: Configuration
    private let handler: Handler
    private let mutex = Mutex()
    private var listenFD: Int32 = -1
    private var wakeRead: Int32 = -1
    private var wakeWrite: Int32 = -1
    private var acceptThread: pthread_t?
    private var connections: [UInt64: Connection] = [:]
    private var finishedThreads: [pthread_t] = []
    private var nextID: UInt64 = 0
    private var stopping = false
    private var boundPort: UInt16 = 0

    public init(configuration: Configuration = Configuration(), handler: @escaping Handler) {
        self.configuration = configuration
        self.handler = handler
    }

    deinit { stop() }

    /// The bound port (the ephemeral one when configured with 0).
    public var port: UInt16 { mutex.withLock { boundPort } }

    /// Connections being served now.
    public var activeConnections: Int { mutex.withLock { connections.values.filter { !$0.done }.count } }

    /// Binds, listens and starts the accept thread.
    public func start() throws(HTTPServerError) {
        guard mutex.withLock({ listenFD < 0 && !stopping }) else { throw HTTPServerError("server already started") }
        let fd = try Self.listen(host: configuration.host, port: configuration.port)
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0, fds.count == 2 else {
            close(fd)
            throw HTTPServerError("pipe: \(String(cString: strerror(errno)))")
        }
        for p in fds { _ = fcntl(p, F_SETFD, FD_CLOEXEC) }
        // a full pipe must never block stop()
        _ = fcntl(fds[1], F_SETFL, O_NONBLOCK)
        var addr = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let port: UInt16 = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        } == 0 ? Self.port(of: addr) : 0
        mutex.withLock {
            listenFD = fd
            wakeRead = fds[0]
            wakeWrite = fds[1]
            boundPort = port
        }
        guard let thread = spawnThread({ [self] in acceptLoop() }) else {
            stop()
            throw HTTPServerError("cannot start the accept thread")
        }
        mutex.withLock { acceptThread = thread }
    }

    /// Closes the listener, shuts down open connections (their handlers see
    /// `isClientGone`) and joins every thread. Idempotent.
    public func stop() {
        let (thread, wake) = mutex.withLock { () -> (pthread_t?, Int32) in
            stopping = true
            defer { acceptThread = nil }
            return (acceptThread, wakeWrite)
        }
        if wake >= 0 {
            var byte: UInt8 = 1
            _ = write(wake, &byte, 1)
        }
        if let thread { pthread_join(thread, nil) }
        let threads = mutex.withLock { () -> [pthread_t] in
            for fd in [listenFD, wakeRead, wakeWrite] where fd >= 0 { close(fd) }
            listenFD = -1; wakeRead = -1; wakeWrite = -1
            for c in connections.values where c.fd >= 0 { _ = shutdown(c.fd, Int32(SHUT_RDWR)) }
            let all = connections.values.compactMap(\.thread) + finishedThreads
            finishedThreads = []
            return all
        }
        for t in threads { pthread_join(t, nil) }
        mutex.withLock {
            connections = [:]
            finishedThreads = []
        }
    }

    // MARK: accepting

    private func acceptLoop() {
        let (lfd, wfd) = mutex.withLock { (listenFD, wakeRead) }
        while true {
            var fds = [pollfd(fd: lfd, events: Int16(POLLIN), revents: 0), pollfd(fd: wfd, events: Int16(POLLIN), revents: 0)]
            let rc = poll(&fds, 2, -1)
            if mutex.withLock({ stopping }) { return }
            if rc < 0 {
                if errno == EINTR { continue }
                return
            }
            if let wake = fds.last, wake.revents != 0 { return }
            let fd = accept(lfd, nil, nil)
            if fd < 0 {
                // out of descriptors: back off instead of spinning on a ready listener
                if errno == EMFILE || errno == ENFILE { usleep(10_000) }
                continue
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            Socket.setTimeout(fd, option: SO_RCVTIMEO, seconds: configuration.readTimeout)
            Socket.setTimeout(fd, option: SO_SNDTIMEO, seconds: configuration.writeTimeout)
            // stream pieces leave as soon as they are flushed
            Socket.setFlag(fd, level: Int32(IPPROTO_TCP), option: TCP_NODELAY)
            joinFinished()

            let id: UInt64? = mutex.withLock {
                guard !stopping, connections.count < configuration.maxConnections else { return nil }
                nextID += 1
                connections[nextID] = Connection(fd: fd)
                return nextID
            }
            guard let id else {
                reject(fd, status: 503, message: "the server is busy (\(configuration.maxConnections) connections); retry later")
                continue
            }
            guard let thread = spawnThread({ [self] in serve(id: id, fd: fd) }) else {
                mutex.withLock { connections[id] = nil }
                reject(fd, status: 503, message: "the server cannot start a thread; retry later")
                continue
            }
            mutex.withLock {
                if connections[id]?.done == true {
                    connections[id] = nil
                    finishedThreads.append(thread)
                } else {
                    connections[id]?.thread = thread
                }
            }
        }
    }

    /// Joins connection threads that have ended, so they do not pile up.
    private func joinFinished() {
        let threads = mutex.withLock { () -> [pthread_t] in
            defer { finishedThreads = [] }
            return finishedThreads
        }
        for t in threads { pthread_join(t, nil) }
    }

    /// Answers on the accept thread and closes (the short drain keeps the answer from being reset).
    private func reject(_ fd: Int32, status: Int, message: String) {
        let e = configuration.errorBody(status, message)
        let head = "HTTP/1.1 \(status) \(HTTPStatus.reason(status))\r\nContent-Type: \(e.contentType)\r\n"
            + "Content-Length: \(e.body.count)\r\nConnection: close\r\n\r\n"
        Socket.setTimeout(fd, option: SO_SNDTIMEO, seconds: 1)
        if Socket.sendAll(fd, Array(head.utf8) + e.body) {
            Socket.drainAfterResponse(fd, limit: 64 * 1024, seconds: 0.2)
        }
        close(fd)
    }

    // MARK: one connection

    private func serve(id: UInt64, fd: Int32) {
        let writer = HTTPResponseWriter(
            fd: fd, isStopping: { [self] in mutex.withLock { stopping } },
            closeSocket: { [self] reset in closeConnection(id: id, reset: reset) })
        if let request = readRequest(fd: fd, writer: writer) {
            handler(request, writer)
            writer.finish(errorBody: configuration.errorBody)
        }
        if !writer.aborted {
            Socket.drainAfterResponse(fd, limit: configuration.limits.maxBodyBytes + 64 * 1024, seconds: 2)
        }
        closeConnection(id: id, reset: false)
        mutex.withLock {
            if let thread = connections[id]?.thread {
                connections[id] = nil
                finishedThreads.append(thread)
            } else {
                connections[id]?.done = true
            }
        }
    }

    /// Closes the socket once; under the lock so `stop()` never shuts down a reused descriptor.
    private func closeConnection(id: UInt64, reset: Bool) {
        mutex.withLock {
            guard let fd = connections[id]?.fd, fd >= 0 else { return }
            if reset { Socket.setResetOnClose(fd) }
            close(fd)
            connections[id]?.fd = -1
        }
    }

    /// Reads until the parser has a whole request; answers errors itself (nil then).
    private func readRequest(fd: Int32, writer: HTTPResponseWriter) -> HTTPRequest? {
        let limits = configuration.limits
        let deadline = monotonicSeconds() + configuration.requestTimeout
        var buffer: [UInt8] = []
        var sentContinue = false
        func fail(_ status: Int, _ message: String) -> HTTPRequest? {
            let e = configuration.errorBody(status, message)
            writer.respond(status: status, headers: [("Content-Type", e.contentType)], body: e.body)
            return nil
        }
        while true {
            switch HTTPRequestParser.parse(buffer, limits: limits) {
            case let .complete(request, _):
                return request
            case let .failure(e):
                return fail(e.status, e.message)
            case let .needMore(head):
                if let head, head.expectsContinue, !sentContinue {
                    sentContinue = true
                    guard Socket.sendAll(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { return nil }
                }
            }
            if mutex.withLock({ stopping }) { return nil }
            guard monotonicSeconds() < deadline else {
                return buffer.isEmpty ? nil : fail(408, "the request did not arrive within \(Int(configuration.requestTimeout)) s")
            }
            guard let bytes = Socket.receive(fd, max: 64 * 1024) else {
                // read timeout or error: an idle connection just closes
                return buffer.isEmpty ? nil : fail(408, "the request stalled for \(Int(configuration.readTimeout)) s")
            }
            guard !bytes.isEmpty else {
                return buffer.isEmpty ? nil : fail(400, "the connection closed in the middle of the request")
            }
            buffer.append(contentsOf: bytes)
        }
    }

    // MARK: addresses

    private static func listen(host: String, port: UInt16) throws(HTTPServerError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw HTTPServerError("cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let info = node {
            node = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.pointee.ai_protocol)
            guard fd >= 0 else { lastError = String(cString: strerror(errno)); continue }
            Socket.setFlag(fd, level: SOL_SOCKET, option: SO_REUSEADDR)
            // a deep backlog: a burst of clients waits to be accepted (and refused with 503 when
            // over the limit) instead of having its SYNs dropped and retried seconds later
            if bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0, Glibc.listen(fd, 1024) == 0 {
                return fd
            }
            lastError = String(cString: strerror(errno))
            close(fd)
        }
        throw HTTPServerError("cannot listen on \(host):\(port): \(lastError)")
    }

    private static func port(of addr: sockaddr_storage) -> UInt16 {
        var a = addr
        return withUnsafePointer(to: &a) { p in
            switch Int32(addr.ss_family) {
            case AF_INET: return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
            case AF_INET6: return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            default: return 0
            }
        }
    }
}
