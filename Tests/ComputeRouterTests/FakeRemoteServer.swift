#if canImport(Glibc)
import Glibc
#endif
import HTTPServer
import NPCRuntime

/// A loopback server (the project's HTTPServer, raw writes) that plays a
/// script per connection, for the remote client's fault tests: status lines,
/// SSE chunks, stalls, resets, closes. Connection n gets scripts[min(n, last)],
/// or the script `choose` picks for the request. Records each request it read.
final class FakeRemoteServer: @unchecked Sendable {
    enum Step: Sendable {
        case send(String)
        case sleep(ms: Int)
        /// RST instead of FIN.
        case reset
        /// `chunk` every `everyMs` until the client goes away (at most `limit` times).
        case drip(String, everyMs: Int, limit: Int)
    }

    /// What the handler threads record.
    private final class Record: @unchecked Sendable {
        let lock = Lock()
        var requests: [String] = []
        /// Numbers a connection (one request each: every response closes it).
        func add(_ request: String) -> Int {
            lock.withLock {
                requests.append(request)
                return requests.count - 1
            }
        }
    }

    private let server: HTTPServer
    private let record = Record()

    convenience init(_ scripts: [[Step]]) throws {
        try self.init { _, n in scripts[min(n, scripts.count - 1)] }
    }

    init(choose: @escaping @Sendable (_ request: String, _ connection: Int) -> [Step]) throws {
        let record = self.record
        server = HTTPServer { request, writer in
            let head = "\(request.method) \(request.head.target) \(request.head.version)\r\n"
                + request.headers.map { "\($0.name): \($0.value)\r\n" }.joined()
            let text = head + "\r\n" + String(decoding: request.body, as: UTF8.self)
            Self.play(choose(text, record.add(text)), on: writer)
        }
        do { try server.start() } catch { throw RuntimeError(.io, "fake server: \(error)") }
    }

    var port: UInt16 { server.port }
    var url: String { "http://127.0.0.1:\(port)/v1" }
    var requests: [String] { record.lock.withLock { record.requests } }
    var connections: Int { requests.count }

    func stop() { server.stop() }

    private static func play(_ script: [Step], on writer: HTTPResponseWriter) {
        for step in script {
            switch step {
            case let .send(text):
                guard writer.write(text), writer.flush() else { return }
            case let .sleep(ms):
                // ends early once the client hangs up or the server stops
                var left = ms
                while left > 0 && !writer.isClientGone { usleep(20_000); left -= 20 }
            case .reset:
                writer.abort()
                return
            case let .drip(chunk, everyMs, limit):
                for _ in 0..<limit {
                    guard writer.write(chunk), writer.flush() else { return }
                    usleep(UInt32(everyMs) * 1000)
                }
            }
        }
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
