#if canImport(Glibc)
import Glibc
#endif
import NPCRuntime

/// A loopback HTTP server that plays a script per connection, for the remote
/// client's fault tests: status lines, SSE chunks, stalls, resets, closes.
/// Connection n gets scripts[min(n, last)], or the script `choose` picks for
/// the request; with `concurrent`, each connection is served on its own thread.
/// Records each request it read.
final class FakeRemoteServer: @unchecked Sendable {
    enum Step: Sendable {
        case send(String)
        case sleep(ms: Int)
        /// RST instead of FIN (SO_LINGER 0).
        case reset
        /// `chunk` every `everyMs` until the client goes away (at most `limit` times).
        case drip(String, everyMs: Int, limit: Int)
    }

    let port: UInt16
    private let listener: Int32
    private let choose: @Sendable (String, Int) -> [Step]
    private let concurrent: Bool
    private var connectionThreads: [pthread_t] = []
    private let lock = Lock()
    private var _requests: [String] = []
    private var _connections = 0
    private var stopping = false
    private var thread = pthread_t()

    convenience init(_ scripts: [[Step]]) throws {
        try self.init(concurrent: false) { _, n in scripts[min(n, scripts.count - 1)] }
    }

    init(concurrent: Bool, choose: @escaping @Sendable (_ request: String, _ connection: Int) -> [Step]) throws {
        self.choose = choose
        self.concurrent = concurrent
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 16) == 0 else { throw RuntimeError(.io, "fake server: bind/listen failed") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &len) }
        }
        port = UInt16(bigEndian: addr.sin_port)
        self.listener = listener
        let context = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            Unmanaged<FakeRemoteServer>.fromOpaque(raw).takeRetainedValue().acceptLoop()
            return nil
        }, context)
    }

    var url: String { "http://127.0.0.1:\(port)/v1" }
    var requests: [String] { lock.withLock { _requests } }
    var connections: Int { lock.withLock { _connections } }

    func stop() {
        let already = lock.withLock { () -> Bool in defer { stopping = true }; return stopping }
        guard !already else { return }
        pthread_join(thread, nil)
        close(listener)
        for t in lock.withLock({ connectionThreads }) { pthread_join(t, nil) }
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    /// One connection at a time: tests make one request at a time.
    private func acceptLoop() {
        while !isStopping {
            var pfd = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 20) > 0 else { continue }
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { continue }
            let n = lock.withLock { () -> Int in defer { _connections += 1 }; return _connections }
            guard concurrent else { serve(fd, connection: n); continue }
            final class Job { let server: FakeRemoteServer; let fd: Int32; let n: Int
                init(_ s: FakeRemoteServer, _ fd: Int32, _ n: Int) { server = s; self.fd = fd; self.n = n } }
            var t = pthread_t()
            let job = Unmanaged.passRetained(Job(self, fd, n)).toOpaque()
            if pthread_create(&t, nil, { raw in
                guard let raw else { return nil }
                let job = Unmanaged<Job>.fromOpaque(raw).takeRetainedValue()
                job.server.serve(job.fd, connection: job.n)
                return nil
            }, job) == 0 {
                lock.withLock { connectionThreads.append(t) }
            } else {
                Unmanaged<Job>.fromOpaque(job).release()
                close(fd)
            }
        }
    }

    private func serve(_ fd: Int32, connection: Int) {
        var closed = false
        defer { if !closed { close(fd) } }
        guard let request = readRequest(fd) else { return }
        lock.withLock { _requests.append(request) }
        let script = choose(request, connection)
        for step in script {
            if isStopping { return }
            switch step {
            case let .send(text):
                guard write(fd, text) else { return }
            case let .sleep(ms):
                var left = ms
                while left > 0 && !isStopping { usleep(UInt32(min(left, 20)) * 1000); left -= 20 }
            case .reset:
                var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                close(fd)
                closed = true
                return
            case let .drip(chunk, everyMs, limit):
                for _ in 0..<limit {
                    guard !isStopping, write(fd, chunk) else { return }
                    usleep(UInt32(everyMs) * 1000)
                }
            }
        }
    }

    private func write(_ fd: Int32, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }

    /// Headers and a Content-Length body, as text.
    private func readRequest(_ fd: Int32) -> String? {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while data.count < 1 << 20 {
            let text = String(decoding: data, as: UTF8.self)
            if let end = text.firstRange(of: "\r\n\r\n") {
                let head = text[..<end.lowerBound].lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingPrefix(" ")) } ?? 0
                if text.utf8.count - text[..<end.upperBound].utf8.count >= length { return text }
            }
            guard poll(&pfd, 1, 2000) > 0 else { return nil }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return nil }
            data += buffer[..<n]
        }
        return nil
    }

    // MARK: Canned responses

    static func sseHead(status: Int = 200) -> Step {
        .send("HTTP/1.1 \(status) OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n")
    }

    static func status(_ code: Int, body: String = #"{"error":{"message":"busy"}}"#) -> [Step] {
        [.send("HTTP/1.1 \(code) Error\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")]
    }

    static func chunk(_ content: String) -> String {
        var quoted = ""
        JSONValue.writeString(content, to: &quoted)
        return "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\(quoted)},\"finish_reason\":null}]}\n\n"
    }

    static let finish = "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
    static let usage = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":5,\"total_tokens\":45}}\n\n"
    static let done = "data: [DONE]\n\n"

    /// A whole streamed reply.
    static func reply(_ pieces: [String]) -> [Step] {
        [sseHead()] + pieces.map { .send(chunk($0)) } + [.send(finish), .send(usage), .send(done)]
    }
}
