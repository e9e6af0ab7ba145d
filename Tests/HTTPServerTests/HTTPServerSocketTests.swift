import Foundation
import Testing
@testable import HTTPServer

typealias RawResponse = RawHTTPResponse

/// A real server on an ephemeral port, driven by a raw socket client.
@Suite(.serialized) struct HTTPServerSocketTests {
    func withServer(_ configure: (inout HTTPServer.Configuration) -> Void = { _ in },
                    handler: @escaping HTTPServer.Handler = { request, writer in
                        writer.respond(status: request.path == "/hello" ? 200 : 404, headers: [("Content-Type", "text/plain")],
                                       body: Array("path \(request.path) body \(request.body.count)".utf8))
                    },
                    _ body: (HTTPServer) throws -> Void) throws {
        var config = HTTPServer.Configuration()
        configure(&config)
        let server = HTTPServer(configuration: config, handler: handler)
        try server.start()
        #expect(server.port != 0)
        defer { server.stop() }
        try body(server)
    }

    func exchange(_ server: HTTPServer, _ text: String) throws -> RawResponse {
        RawResponse(try RawHTTPConnection.exchange(port: server.port, Array(text.utf8)))
    }

    @Test func handlersAnswerAndTheBodyArrives() throws {
        try withServer { server in
            let ok = try exchange(server, "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
            #expect(ok.status == 200)
            #expect(ok.body == "path /hello body 3")
            #expect(ok.headers["content-length"] == "18" && ok.headers["connection"] == "close")
            #expect(try exchange(server, "GET /nope HTTP/1.1\r\n\r\n").status == 404)
        }
    }

    @Test func badRequestsGetTheConfiguredErrorBody() throws {
        try withServer({ $0.errorBody = { status, message in ("application/json", Array("{\"status\":\(status)}".utf8)) } }) { server in
            let garbage = try exchange(server, "\u{1}\u{2}garbage\r\n\r\n")
            #expect(garbage.status == 400 && garbage.body == "{\"status\":400}")
            #expect(garbage.headers["content-type"] == "application/json")
            #expect(try exchange(server, "POST /hello HTTP/1.1\r\n\r\n").status == 411)
            #expect(try exchange(server, "POST /hello HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").status == 501)
        }
    }

    @Test func aTooLargeBodyIs413EvenWhileTheClientKeepsSending() throws {
        try withServer { server in
            let body = [UInt8](repeating: 0x61, count: 5 * 1024 * 1024)
            let c = try RawHTTPConnection(port: server.port)
            c.send("POST /hello HTTP/1.1\r\nContent-Length: \(body.count)\r\n\r\n")
            c.send(body)   // the server drains it after answering, so this does not reset the answer
            let r = RawResponse(c.receiveAll())
            #expect(r.status == 413)
        }
    }

    @Test func expectContinueGetsAnInterimResponse() throws {
        try withServer { server in
            let c = try RawHTTPConnection(port: server.port)
            c.send("POST /hello HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
            let interim = String(decoding: c.receive() ?? [], as: UTF8.self)
            #expect(interim == "HTTP/1.1 100 Continue\r\n\r\n")
            c.send("hi")
            let r = RawResponse(c.receiveAll())
            #expect(r.status == 200 && r.body == "path /hello body 2")
        }
    }

    @Test func aStalledClientGets408AndFreesItsThread() throws {
        try withServer({ $0.readTimeout = 0.3 }) { server in
            let c = try RawHTTPConnection(port: server.port)
            c.send("GET /hello HTTP/1.1\r\nHo")
            let start = Date()
            let r = RawResponse(c.receiveAll())
            #expect(r.status == 408)
            #expect(Date().timeIntervalSince(start) < 5)
            Thread.sleep(forTimeInterval: 0.3)
            #expect(server.activeConnections == 0)
        }
    }

    @Test func beyondMaxConnectionsTheAnswerIs503() throws {
        let release = DispatchSemaphore(value: 0)
        let entered = DispatchSemaphore(value: 0)
        try withServer({ $0.maxConnections = 1 }, handler: { _, writer in
            entered.signal()
            _ = release.wait(timeout: .now() + 10)
            writer.respond(status: 200, body: Array("late".utf8))
        }) { server in
            let first = try RawHTTPConnection(port: server.port)
            first.send("GET /a HTTP/1.1\r\n\r\n")
            #expect(entered.wait(timeout: .now() + 5) == .success)
            let busy = try exchange(server, "GET /b HTTP/1.1\r\n\r\n")
            #expect(busy.status == 503)
            release.signal()
            #expect(RawResponse(first.receiveAll()).body == "late")
        }
    }

    @Test func aStreamingHandlerSeesTheClientLeave() throws {
        let outcome = DispatchSemaphore(value: 0)
        let chunksWritten = LockedCounter()
        try withServer(handler: { _, writer in
            writer.writeHead(status: 200, headers: [("Content-Type", "text/event-stream")])
            for i in 0..<2000 {
                // a vanished client is noticed by a failed write or by the peek
                guard writer.write("data: \(i)\n\n"), writer.flush(), !writer.isClientGone else { break }
                chunksWritten.add()
                usleep(2000)
            }
            outcome.signal()
        }) { server in
            let c = try RawHTTPConnection(port: server.port)
            c.send("GET /stream HTTP/1.1\r\n\r\n")
            let first = String(decoding: c.receive() ?? [], as: UTF8.self)
            #expect(first.hasPrefix("HTTP/1.1 200 OK"))
            c.close()
            #expect(outcome.wait(timeout: .now() + 5) == .success, "the handler stopped")
            #expect(chunksWritten.value < 2000)
        }
    }

    @Test func abortResetsTheConnection() throws {
        try withServer(handler: { _, writer in
            writer.writeHead(status: 200)
            writer.write("partial")
            writer.flush()
            writer.abort()
            #expect(!writer.write("more"))
        }) { server in
            let bytes = try RawHTTPConnection.exchange(port: server.port, Array("GET / HTTP/1.1\r\n\r\n".utf8))
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 200 OK") || text.isEmpty)
            #expect(!text.contains("more"))
        }
    }

    @Test func aHandlerThatWritesNothingGives500() throws {
        try withServer(handler: { _, _ in return }) { (server: HTTPServer) throws in
            let r = try exchange(server, "GET / HTTP/1.1\r\n\r\n")
            #expect(r.status == 500)
        }
    }

    @Test func stopJoinsEverythingAndTheListenerCloses() throws {
        let server = HTTPServer { _, writer in writer.respond(status: 200, body: []) }
        try server.start()
        let port = server.port
        let idle = try RawHTTPConnection(port: port)   // never sends: stop must not wait for its timeout
        #expect(RawResponse(try RawHTTPConnection.exchange(port: port, Array("GET / HTTP/1.1\r\n\r\n".utf8))).status == 200)
        let start = Date()
        server.stop()
        #expect(Date().timeIntervalSince(start) < 2)
        #expect(server.activeConnections == 0)
        #expect(throws: HTTPServerError.self) { _ = try RawHTTPConnection(port: port) }
        idle.close()
        server.stop()
    }

    @Test func randomBytesOverASocketGetAStatusAndTheServerKeepsServing() throws {
        try withServer({ $0.readTimeout = 0.2; $0.limits.maxHeadBytes = 1024 }) { server in
            var rng = TestRNG(seed: 7)
            let statuses: Set<Int> = [400, 404, 408, 411, 413, 431, 501, 505]
            for round in 0..<40 {
                var bytes = (0..<Int(rng.next() % 2000)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                // half the rounds look like a request line first, so the headers get fuzzed too
                if round % 2 == 0 { bytes = Array("POST /hello HTTP/1.1\r\n".utf8) + bytes }
                let r = RawResponse(try RawHTTPConnection.exchange(port: server.port, bytes, timeout: 5))
                #expect(r.status == 0 || statuses.contains(r.status), "round \(round): \(r.status)")
            }
            #expect(try exchange(server, "GET /hello HTTP/1.1\r\n\r\n").status == 200)
        }
    }

    @Test func concurrentClientsAreAllServed() throws {
        try withServer { server in
            let port = server.port
            let results = LockedCounter()
            DispatchQueue.concurrentPerform(iterations: 6) { _ in
                if let bytes = try? RawHTTPConnection.exchange(port: port, Array("GET /hello HTTP/1.1\r\n\r\n".utf8)),
                   RawResponse(bytes).status == 200 { results.add() }
            }
            #expect(results.value == 6)
        }
    }
}

final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.withLock { n += 1 } }
    var value: Int { lock.withLock { n } }
}
