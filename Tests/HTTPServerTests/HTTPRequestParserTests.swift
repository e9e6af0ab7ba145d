import Testing
@testable import HTTPServer

/// The parser is a pure function of the bytes so far: every input gets
/// needMore, a request, or a status — never a crash.
struct HTTPRequestParserTests {
    static let post = Array("POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"model\":\"m\"}".utf8)

    func status(_ text: String, limits: HTTPLimits = HTTPLimits()) -> Int? {
        if case let .failure(e) = HTTPRequestParser.parse(Array(text.utf8), limits: limits) { return e.status }
        return nil
    }

    @Test func aPostIsParsedWithItsBody() throws {
        guard case let .complete(r, consumed) = HTTPRequestParser.parse(Self.post) else {
            Issue.record("not complete"); return
        }
        #expect(consumed == Self.post.count)
        #expect(r.method == "POST")
        #expect(r.head.target == "/v1/chat/completions?x=1")
        #expect(r.path == "/v1/chat/completions")
        #expect(r.head.query == "x=1")
        #expect(r.headers["content-type"] == "application/json")
        #expect(r.headers["HOST"] == "localhost")
        #expect(String(decoding: r.body, as: UTF8.self) == #"{"model":"m"}"#)
    }

    @Test func everyTruncationNeedsMoreAndTheHeadAppearsOnceComplete() {
        let headLength = Self.post.count - 13
        for n in 0..<Self.post.count {
            guard case let .needMore(head) = HTTPRequestParser.parse(Array(Self.post.prefix(n))) else {
                Issue.record("prefix \(n) is not needMore"); continue
            }
            #expect((head != nil) == (n >= headLength), "prefix \(n)")
        }
    }

    @Test func aGetWithoutBodyAndLeadingBlankLines() {
        guard case let .complete(r, consumed) = HTTPRequestParser.parse(Array("\r\nGET /health HTTP/1.0\r\n\r\nextra".utf8)) else {
            Issue.record("not complete"); return
        }
        #expect(r.method == "GET" && r.path == "/health" && r.head.version == "HTTP/1.0" && r.body.isEmpty)
        #expect(consumed == 2 + 24)
    }

    @Test func expectContinueIsVisibleBeforeTheBody() {
        let text = "POST /x HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 5\r\n\r\nab"
        guard case let .needMore(head?) = HTTPRequestParser.parse(Array(text.utf8)) else {
            Issue.record("expected a head"); return
        }
        #expect(head.expectsContinue && head.contentLength == 5)
    }

    @Test func malformedRequestsGetTheirStatus() {
        #expect(status("POST /x HTTP/1.1\r\nHost: a\r\n\r\n") == 411)
        #expect(status("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n") == 501)
        #expect(status("POST /x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n") == 400)
        #expect(status("POST /x HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n") == 400)
        #expect(status("POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n") == 400)
        #expect(status("POST /x HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n") == 400)
        #expect(status("POST /x HTTP/1.1\r\nContent-Length: 5000000\r\n\r\n") == 413)
        #expect(status("GET /x HTTP/2.0\r\n\r\n") == 505)
        #expect(status("GET /x HTCPCP/1.0\r\n\r\n") == 400)
        #expect(status("GET /x\r\n\r\n") == 400)
        #expect(status("GET  /x HTTP/1.1\r\n\r\n") == 400)
        #expect(status("G(T /x HTTP/1.1\r\n\r\n") == 400)
        #expect(status("GET /x HTTP/1.1\nHost: a\n\n") == 400)
        #expect(status("GET /x HTTP/1.1\rHost: a\r\n\r\n") == 400)
        #expect(status("GET /x HTTP/1.1\r\nHost : a\r\n\r\n") == 400)
        #expect(status("GET /x HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n") == 400)
        #expect(status("GET /x HTTP/1.1\r\nNoColon\r\n\r\n") == 400)
        #expect(status("GET /x HTTP/1.1\r\nX: a\u{1}b\r\n\r\n") == 400)
        #expect(status("GET /\u{7F} HTTP/1.1\r\n\r\n") == 400)
    }

    @Test func oversizedHeadsAreRefusedWithoutWaitingForTheEnd() {
        var limits = HTTPLimits()
        #expect(status("GET /" + String(repeating: "a", count: 20_000), limits: limits) == 431)
        #expect(status("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 20_000) + "\r\n\r\n", limits: limits) == 431)
        limits.maxHeaderCount = 3
        #expect(status("GET / HTTP/1.1\r\na: 1\r\nb: 2\r\nc: 3\r\nd: 4\r\n\r\n", limits: limits) == 431)
        limits.maxBodyBytes = 10
        #expect(status("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", limits: limits) == 413)
    }

    static let allowed: Set<Int> = [400, 411, 413, 431, 501, 505]

    /// Checks one input's result for consistency.
    func check(_ bytes: [UInt8], limits: HTTPLimits = HTTPLimits()) {
        switch HTTPRequestParser.parse(bytes, limits: limits) {
        case let .failure(e):
            #expect(Self.allowed.contains(e.status), "status \(e.status): \(e.message)")
        case let .complete(r, consumed):
            #expect(consumed <= bytes.count && r.body.count == r.head.contentLength)
            #expect(r.body.count <= limits.maxBodyBytes)
        case .needMore:
            #expect(bytes.count < limits.maxHeadBytes + limits.maxBodyBytes + 8)
        }
    }

    @Test func randomBytesNeverCrash() {
        var rng = TestRNG(seed: 0x5EED)
        var limits = HTTPLimits()
        limits.maxHeadBytes = 512
        limits.maxBodyBytes = 256
        for _ in 0..<3000 {
            let n = Int(rng.next() % 700)
            check((0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, limits: limits)
        }
    }

    @Test func mutatedRequestsNeverCrash() {
        var rng = TestRNG(seed: 42)
        // bytes that matter to the grammar, so mutations reach deep states
        let interesting: [UInt8] = Array("\r\n :,0123456789-?/\t".utf8) + [0, 0x7F, 0x80, 0xFF]
        for _ in 0..<5000 {
            var bytes = Self.post
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let at = Int(rng.next() % UInt64(bytes.count + 1))
                let byte = rng.next() % 2 == 0 ? interesting[Int(rng.next() % UInt64(interesting.count))] : UInt8(truncatingIfNeeded: rng.next())
                switch rng.next() % 4 {
                case 0: if at < bytes.count { bytes[at] = byte }
                case 1: bytes.insert(byte, at: at)
                case 2: if at < bytes.count { bytes.remove(at: at) }
                default: bytes = Array(bytes.prefix(at))
                }
            }
            check(bytes)
        }
    }
}

/// SplitMix64: reproducible fuzz inputs.
struct TestRNG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
