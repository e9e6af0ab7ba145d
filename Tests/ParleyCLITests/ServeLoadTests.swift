import Foundation
import HTTPServer
import NPCRuntime
import Testing
@testable import ParleyCLI

/// A burst of streaming requests against `parley serve`'s service on a real
/// socket: each is either answered with a whole, well-formed event stream or
/// refused with 503/429; none hangs, and the server's connections drain.
/// (bench/serve-load.sh runs the same against the real model and process.)
@Suite(.serialized) struct ServeLoadTests {
    enum Outcome: Sendable, Equatable {
        case answered
        case refused(Int)
        case failed(String)
    }

    final class Outcomes: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [Outcome] = []
        func add(_ o: Outcome) { lock.withLock { list.append(o) } }
        var all: [Outcome] { lock.withLock { list } }
        var refusedCount: Int { lock.withLock { list.filter { if case .refused = $0 { return true } else { return false } }.count } }
    }

    /// Holds every generation until released, so the first `maxConnections`
    /// clients keep their slots while the rest arrive (the split is then exact,
    /// whatever the machine's speed); after that it streams `pieces`.
    final class HeldSource: ReplySource, @unchecked Sendable {
        let pieces: [ReplyPiece]
        private let condition = NSCondition()
        private var released = false
        init(pieces: [ReplyPiece]) { self.pieces = pieces }

        func release() {
            condition.lock()
            released = true
            condition.broadcast()
            condition.unlock()
        }

        func start(_ request: ReplyRequest) throws(RuntimeError) -> any ReplyStream {
            condition.lock()
            // a bound so a broken test fails instead of hanging
            let deadline = Date().addingTimeInterval(120)
            while !released, condition.wait(until: deadline) {}
            condition.unlock()
            return Stream(pieces: pieces[...])
        }

        struct Stream: ReplyStream {
            var pieces: ArraySlice<ReplyPiece>
            var stats = ReplyStats()
            mutating func next() throws(RuntimeError) -> ReplyPiece? {
                guard let piece = pieces.popFirst() else { return nil }
                stats.generatedTokens += 1
                return piece
            }
        }
    }

    /// Resident memory of this process (server and clients), in MB.
    static func residentMB() -> Double {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }

    /// One client: send, read until the server closes, judge what arrived.
    static func client(port: UInt16, request: [UInt8], expectedText: String) -> Outcome {
        let c: RawHTTPConnection
        do { c = try RawHTTPConnection(port: port, timeout: 60) } catch { return .failed("connect: \(error)") }
        // a refused client may find its send cut short by the server's answer: read it either way
        c.send(request)
        var bytes: [UInt8] = []
        var closedCleanly = false
        while let chunk = c.receive() {
            if chunk.isEmpty { closedCleanly = true; break }
            bytes += chunk
        }
        let r = RawHTTPResponse(bytes)
        if r.status == 503 || r.status == 429 {
            // a refusal is whole when its body is (a reset after it loses nothing)
            guard r.headers["content-length"] == String(r.body.utf8.count), r.json?["error"]?["message"] != nil else {
                return .failed("incomplete \(r.status): \(r.body)")
            }
            return .refused(r.status)
        }
        guard closedCleanly else { return .failed("no clean end after \(bytes.count) bytes (status \(r.status))") }
        return wellFormed(r, expectedText: expectedText).map { .failed($0) } ?? .answered
    }

    /// nil when `r` is a complete stream: role, the text, a finish reason, [DONE].
    static func wellFormed(_ r: RawHTTPResponse, expectedText: String) -> String? {
        guard r.status == 200, r.headers["content-type"] == "text/event-stream" else { return "status \(r.status)" }
        let events = r.events
        guard events.last == "[DONE]" else { return "no [DONE] in \(events.count) events" }
        let chunks = events.dropLast().compactMap { try? JSONParser.parse($0) }
        guard chunks.count == events.count - 1 else { return "an event is not JSON" }
        let choices = chunks.compactMap { $0["choices"]?.arrayValue?.first }
        guard choices.count == chunks.count, choices.first?["delta"]?["role"]?.stringValue == "assistant" else { return "no role chunk" }
        let text = choices.compactMap { $0["delta"]?["content"]?.stringValue }.joined()
        guard text == expectedText else { return "text \(text)" }
        guard choices.last?["finish_reason"]?.stringValue == "stop" else { return "no finish reason" }
        return nil
    }

    @Test func twoHundredConcurrentStreamsAreAnsweredOrRefused() throws {
        let sent = 200, slots = 16
        let words = (0..<8).map { "word\($0) " }
        let source = HeldSource(pieces: words.map { .text($0) })
        let service = ChatCompletionsService(source: source, contextLength: 256, modelID: "tiny.gguf", queueTimeout: 120)
        let h = try ServeHarness(service, maxConnections: slots)
        let port = h.server.port
        let body = #"{"messages":[{"role":"user","content":"hi"}],"stream":true,"max_tokens":16}"#
        let request = Array("POST /v1/chat/completions HTTP/1.1\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
        let rssBefore = Self.residentMB()

        let outcomes = Outcomes()
        let group = DispatchGroup()
        for _ in 0..<sent {
            group.enter()
            let thread = Thread {
                outcomes.add(Self.client(port: port, request: request, expectedText: words.joined()))
                group.leave()
            }
            thread.stackSize = 256 * 1024
            thread.start()
        }
        // every client beyond the slots is refused while the slots are held; then the held ones stream
        let refusalsDeadline = Date().addingTimeInterval(60)
        while outcomes.refusedCount < sent - slots, Date() < refusalsDeadline { usleep(5_000) }
        source.release()
        let finished = group.wait(timeout: .now() + 120) == .success
        #expect(finished, "\(sent - outcomes.all.count) clients hung")

        let all = outcomes.all
        let answered = all.filter { $0 == .answered }.count
        let refused = all.filter { if case .refused = $0 { return true } else { return false } }.count
        let failures = all.compactMap { if case let .failed(why) = $0 { return why } else { return nil } }
        #expect(failures.isEmpty, "\(failures.count) failed: \(failures.prefix(5))")
        #expect(answered + refused == sent)
        #expect(answered == slots && refused == sent - slots, "answered \(answered), refused \(refused)")

        // every connection closes, and the server still answers
        for _ in 0..<500 where h.server.activeConnections > 0 { usleep(10_000) }
        #expect(h.server.activeConnections == 0)
        #expect(try h.send("GET /health HTTP/1.1\r\n\r\n").status == 200)
        let rssAfter = Self.residentMB()
        print(String(format: "ServeLoadTests: %d sent, %d answered, %d refused, %d failed; RSS %.1f → %.1f MB",
                     sent, answered, refused, failures.count, rssBefore, rssAfter))
        // generous: 200 finished client threads and 16 server threads leave little behind
        #expect(rssAfter - rssBefore < 256, "RSS grew by \(rssAfter - rssBefore) MB")
    }
}
