import ArgumentParser
import Foundation
import HTTPServer
import NPCRuntime
import Testing
@testable import ParleyCLI

/// `parley serve --api-key`: /v1/ needs `Authorization: Bearer KEY`, /health
/// stays open, and the key never appears in a response or a log line.
@Suite(.serialized) struct ServeAuthTests {
    static let key = "sk-parley-test-0123456789abcdef"

    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func add(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }

    func harness(log: Lines = Lines()) throws -> ServeHarness {
        let source = ScriptedReplySource(["Assistant": [[.text("Welcome.")]]])
        return try ServeHarness(ChatCompletionsService(source: source, contextLength: 256, modelID: "tiny.gguf",
                                                       apiKey: Self.key, log: { log.add($0) }))
    }

    func post(_ h: ServeHarness, authorization: [String], path: String = "/v1/chat/completions") throws -> ServeResponse {
        let body = #"{"messages":[{"role":"user","content":"hi"}]}"#
        let auth = authorization.map { "Authorization: \($0)\r\n" }.joined()
        return try h.send("POST \(path) HTTP/1.1\r\nHost: localhost\r\n\(auth)Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
    }

    func get(_ h: ServeHarness, _ path: String, authorization: String? = nil) throws -> ServeResponse {
        try h.send("GET \(path) HTTP/1.1\r\n\(authorization.map { "Authorization: \($0)\r\n" } ?? "")\r\n")
    }

    /// A 401 in OpenAI's shape that quotes neither the key nor what was sent.
    func expectRefused(_ r: ServeResponse, sent: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 401, sourceLocation: sourceLocation)
        #expect(r.headers["www-authenticate"] == "Bearer", sourceLocation: sourceLocation)
        #expect(r.json?["error"]?["type"]?.stringValue == "invalid_request_error", sourceLocation: sourceLocation)
        #expect(r.json?["error"]?["code"]?.stringValue == "invalid_api_key", sourceLocation: sourceLocation)
        #expect((r.json?["error"]?["message"]?.stringValue ?? "").count > 10, sourceLocation: sourceLocation)
        #expect(!r.body.contains(Self.key) && !r.body.contains("0123456789"), sourceLocation: sourceLocation)
        if let sent { #expect(!r.body.contains(sent), sourceLocation: sourceLocation) }
    }

    @Test func withoutTheKeyEveryV1RequestIs401() throws {
        let h = try harness()
        expectRefused(try post(h, authorization: []))
        expectRefused(try get(h, "/v1/models"))
        // before routing: an unknown /v1/ path does not reveal itself as a 404
        expectRefused(try get(h, "/v1/nothing"))
    }

    @Test func aWrongKeyIs401AndIsNotEchoed() throws {
        let h = try harness()
        expectRefused(try post(h, authorization: ["Bearer sk-wrong-key-xyz"]), sent: "sk-wrong-key-xyz")
        // a prefix, the key with a suffix, another scheme, an empty token, two headers
        expectRefused(try post(h, authorization: ["Bearer " + String(Self.key.dropLast())]))
        expectRefused(try post(h, authorization: ["Bearer " + Self.key + "x"]))
        expectRefused(try post(h, authorization: ["Basic " + Self.key]))
        expectRefused(try post(h, authorization: ["Bearer"]))
        expectRefused(try post(h, authorization: ["Bearer " + Self.key, "Bearer " + Self.key]))
        expectRefused(try post(h, authorization: [Self.key]))
    }

    @Test func theRightKeyIsServed() throws {
        let h = try harness()
        let r = try post(h, authorization: ["Bearer " + Self.key])
        #expect(r.status == 200)
        #expect(r.json?["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue == "Welcome.")
        // the scheme is case-insensitive, and more than one space may precede the token
        #expect(try post(h, authorization: ["bearer  " + Self.key]).status == 200)
        #expect(try get(h, "/v1/models", authorization: "Bearer " + Self.key).status == 200)
    }

    @Test func healthStaysOpen() throws {
        let h = try harness()
        let r = try get(h, "/health")
        #expect(r.status == 200 && r.json?["status"]?.stringValue == "ok")
        #expect(try get(h, "/health", authorization: "Bearer wrong").status == 200)
    }

    @Test func theKeyNeverReachesTheLog() throws {
        let log = Lines()
        let h = try harness(log: log)
        _ = try post(h, authorization: ["Bearer sk-wrong-key-xyz"])
        _ = try post(h, authorization: ["Bearer " + Self.key])
        _ = try post(h, authorization: [])
        let lines = log.all
        #expect(lines.count == 3)
        #expect(lines.filter { $0.contains(" 401 ") }.count == 2)
        #expect(!lines.contains { $0.contains(Self.key) || $0.contains("sk-wrong-key-xyz") }, "\(lines)")
    }

    @Test func withoutAKeyTheServerIsOpen() throws {
        let source = ScriptedReplySource(["Assistant": [[.text("Hi.")]]])
        let service = ChatCompletionsService(source: source, contextLength: 256, modelID: "tiny.gguf", apiKey: "")
        #expect(!service.requiresAPIKey)
        let h = try ServeHarness(service)
        #expect(try post(h, authorization: []).status == 200)
    }

    @Test func comparisonIsExact() {
        let key = Array("secret-key".utf8)
        #expect(ChatCompletionsService.constantTimeEquals(key, key))
        #expect(!ChatCompletionsService.constantTimeEquals(Array("secret-kez".utf8), key))
        #expect(!ChatCompletionsService.constantTimeEquals(Array("secret-key-secret-key".utf8), key))
        #expect(!ChatCompletionsService.constantTimeEquals(Array("secret".utf8), key))
        #expect(!ChatCompletionsService.constantTimeEquals([], key))
        #expect(ChatCompletionsService.constantTimeEquals([], []))
        #expect(!ChatCompletionsService.constantTimeEquals([1], []))
    }

    // MARK: the command's options

    func parseError(_ arguments: [String]) -> String? {
        do { _ = try Serve.parse(["-m", "model.gguf"] + arguments); return nil } catch {
            return Serve.message(for: error)
        }
    }

    @Test func theFlagWinsOverTheEnvironment() throws {
        let env = [Serve.apiKeyVariable: "sk-from-the-environment"]
        #expect(try Serve.parse(["-m", "m.gguf", "--api-key", Self.key]).resolvedAPIKey(environment: env) == Self.key)
        #expect(try Serve.parse(["-m", "m.gguf"]).resolvedAPIKey(environment: env) == "sk-from-the-environment")
        #expect(try Serve.parse(["-m", "m.gguf"]).resolvedAPIKey(environment: [:]) == nil)
        #expect(try Serve.parse(["-m", "m.gguf"]).resolvedAPIKey(environment: [Serve.apiKeyVariable: ""]) == nil)
        #expect(throws: (any Error).self) {
            try Serve.parse(["-m", "m.gguf"]).resolvedAPIKey(environment: [Serve.apiKeyVariable: "has space in it"])
        }
    }

    @Test func badKeysAreRefusedWithoutQuotingThem() {
        for bad in ["short", "with a space inside", String(repeating: "k", count: 513), "tab\there-and-more"] {
            let message = parseError(["--api-key", bad])
            #expect(message?.contains("API key") == true, "\(bad): \(message ?? "accepted")")
            #expect(message?.contains(bad) == false)
        }
        #expect(parseError(["--api-key", Self.key]) == nil)
    }

    @Test func everyCountIsBounded() {
        #expect(parseError([]) == nil)
        for bad in [["--max-connections", "0"], ["--max-connections", "1025"], ["--ctx", "0"], ["--ctx", "1000000"],
                    ["--threads", "-1"], ["--threads", "65"], ["--max-tokens", "0"], ["--max-tokens", "200000"],
                    ["--queue-timeout", "-1"], ["--queue-timeout", "nan"], ["--queue-timeout", "601"],
                    ["--read-timeout", "0"], ["--read-timeout", "inf"]] {
            #expect(parseError(bad) != nil, "\(bad) was accepted")
        }
        for good in [["--max-connections", "1"], ["--max-connections", "1024"], ["--queue-timeout", "0"], ["--threads", "0"]] {
            #expect(parseError(good) == nil, "\(good): \(parseError(good) ?? "")")
        }
    }
}
