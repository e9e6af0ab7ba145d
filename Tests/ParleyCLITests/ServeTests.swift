import Foundation
import HTTPServer
import NPCRuntime
import Testing
@testable import ParleyCLI

typealias ServeResponse = RawHTTPResponse

extension RawHTTPResponse {
    var json: JSONValue? { try? JSONParser.parse(body) }

    /// The `data:` payloads of an event stream, in order.
    var events: [String] {
        body.components(separatedBy: "\n\n").compactMap { event in
            event.hasPrefix("data: ") ? String(event.dropFirst(6)) : nil
        }
    }
}

/// A server on an ephemeral port in front of `service`, and a raw client.
final class ServeHarness: Sendable {
    let server: HTTPServer

    init(_ service: ChatCompletionsService, maxConnections: Int = 8) throws {
        var config = HTTPServer.Configuration()
        config.maxConnections = maxConnections
        config.errorBody = ChatCompletionsService.errorBody
        server = HTTPServer(configuration: config) { request, writer in service.handle(request, writer) }
        try server.start()
    }

    deinit { server.stop() }

    func send(_ raw: String) throws -> ServeResponse {
        ServeResponse(try RawHTTPConnection.exchange(port: server.port, Array(raw.utf8), timeout: 300))
    }

    func post(_ body: String, path: String = "/v1/chat/completions") throws -> ServeResponse {
        try send("POST \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
    }
}

/// The OpenAI layer without a model: request checking, routes, errors and the
/// wire format, over a real socket with a scripted reply source.
@Suite(.serialized) struct ServeAPITests {
    static let sellTool = #"{"type":"function","function":{"name":"sell_item","description":"Sell the player an item.","parameters":{"type":"object","properties":{"item":{"type":"string","enum":["sword","shield"]},"quantity":{"type":"integer","minimum":1,"maximum":5}},"required":["item","quantity"]}}}"#

    func service(_ legs: [[ReplyPiece]], queueTimeout: Double = 30) -> ChatCompletionsService {
        ChatCompletionsService(source: ScriptedReplySource(["Assistant": legs]), contextLength: 256,
                               modelID: "tiny.gguf", queueTimeout: queueTimeout)
    }

    func parseError(_ body: String) -> APIError? {
        do { _ = try ChatCompletionRequest.parse(Array(body.utf8)); return nil } catch { return error }
    }

    @Test func requestsAreCheckedField() throws {
        #expect(parseError("{nope")?.code == "invalid_json")
        #expect(parseError("[]")?.status == 400)
        #expect(parseError(#"{"model":"m"}"#)?.param == "messages")
        #expect(parseError(#"{"messages":[]}"#)?.param == "messages")
        #expect(parseError(#"{"messages":[{"role":"wizard","content":"x"}]}"#)?.param == "messages[0].role")
        #expect(parseError(#"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{}}]}]}"#)?.param == "messages[0].content")
        #expect(parseError(#"{"messages":[{"role":"user","content":"x"}],"max_tokens":0}"#)?.param == "max_tokens")
        #expect(parseError(#"{"messages":[{"role":"user","content":"x"}],"temperature":3}"#)?.param == "temperature")
        #expect(parseError(#"{"messages":[{"role":"user","content":"x"}],"n":2}"#)?.param == "n")
        #expect(parseError(#"{"messages":[{"role":"user","content":"x"}],"stop":["\n"]}"#)?.param == "stop")
        #expect(parseError(#"{"messages":[{"role":"user","content":"x"}],"tool_choice":"required"}"#)?.param == "tool_choice")
        #expect(parseError(#"{"messages":[{"role":"user","content":"x"}],"tools":[\#(Self.sellTool)],"tool_choice":{"type":"function","function":{"name":"fly"}}}"#)?.param == "tool_choice")
        #expect(parseError(#"{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"bad name"}}]}"#)?.param == "tools[0]")
        #expect(parseError(#"{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"x":{"type":"nonsense"}}}}}]}"#)?.param == "tools[0]")
    }

    @Test func aFullRequestBecomesEngineInput() throws {
        let body = #"""
            {"model":"gpt-x","stream":true,"stream_options":{"include_usage":true},"max_tokens":10,"max_completion_tokens":20,
             "temperature":0,"top_p":0.5,"seed":-1,"tools":[\#(Self.sellTool)],"tool_choice":{"type":"function","function":{"name":"sell_item"}},
             "messages":[{"role":"developer","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"a "},{"type":"text","text":"sword"}]},
               {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"sell_item","arguments":"{\"item\": \"sword\", \"quantity\": 1}"}}]},
               {"role":"tool","tool_call_id":"call_1","content":"{\"ok\":true}"}]}
            """#
        let r = try ChatCompletionRequest.parse(Array(body.utf8))
        #expect(r.model == "gpt-x" && r.stream && r.includeUsage)
        #expect(r.maxTokens == 20 && r.temperature == 0 && r.topP == 0.5 && r.seed == UInt64.max)
        #expect(r.toolChoice == .named("sell_item") && r.requiredTools.map(\.name) == ["sell_item"])
        #expect(r.messages.map(\.role) == [.system, .user, .assistant, .tool])
        #expect(r.messages[1].content == "a sword")
        #expect(r.messages[2].content == ToolFormat.transcript(name: "sell_item", arguments: #"{"item":"sword","quantity":1}"#))
        #expect(r.messages[3].content == #"{"ok":true}"#)
    }

    @Test func unknownPathsMethodsAndBadBodiesGetOpenAIErrors() throws {
        let h = try ServeHarness(service([[.text("hi")]]))
        let notFound = try h.send("GET /v1/nothing HTTP/1.1\r\n\r\n")
        #expect(notFound.status == 404)
        #expect(notFound.json?["error"]?["type"]?.stringValue == "invalid_request_error")
        #expect(notFound.json?["error"]?["message"]?.stringValue == "Invalid URL (GET /v1/nothing)")

        let wrongMethod = try h.send("GET /v1/chat/completions HTTP/1.1\r\n\r\n")
        #expect(wrongMethod.status == 405 && wrongMethod.headers["allow"] == "POST")
        #expect(wrongMethod.json?["error"]?["code"]?.stringValue == "method_not_allowed")

        let badJSON = try h.post("{\"messages\": [")
        #expect(badJSON.status == 400 && badJSON.headers["content-type"] == "application/json")
        #expect(badJSON.json?["error"]?["code"]?.stringValue == "invalid_json")
        #expect(badJSON.json?["error"]?["param"] == .null)

        // the HTTP layer's own refusals use the same error format
        let tooLarge = try h.send("POST /v1/chat/completions HTTP/1.1\r\nContent-Length: \(5 * 1024 * 1024)\r\n\r\n")
        #expect(tooLarge.status == 413)
        #expect(tooLarge.json?["error"]?["code"]?.stringValue == "request_too_large")
        #expect(try h.send("POST /v1/chat/completions HTTP/1.1\r\n\r\n").status == 411)

        let models = try h.send("GET /v1/models HTTP/1.1\r\n\r\n")
        #expect(models.json?["data"]?.arrayValue?.first?["id"]?.stringValue == "tiny.gguf")
        #expect(try h.send("GET /health HTTP/1.1\r\n\r\n").json?["status"]?.stringValue == "ok")
    }

    @Test func aWholeCompletionHasTheChatCompletionShape() throws {
        let h = try ServeHarness(service([[.text("Hello"), .text(" there.")]]))
        let r = try h.post(#"{"model":"my-model","messages":[{"role":"user","content":"hi"}]}"#)
        #expect(r.status == 200)
        let j = try #require(r.json)
        #expect(j["object"]?.stringValue == "chat.completion" && j["model"]?.stringValue == "my-model")
        #expect(j["id"]?.stringValue?.hasPrefix("chatcmpl-") == true && (j["created"]?.intValue ?? 0) > 1_700_000_000)
        let choice = try #require(j["choices"]?.arrayValue?.first)
        #expect(choice["message"]?["role"]?.stringValue == "assistant")
        #expect(choice["message"]?["content"]?.stringValue == "Hello there.")
        #expect(choice["finish_reason"]?.stringValue == "stop")
        #expect(j["usage"]?["completion_tokens"]?.intValue == 2 && j["usage"]?["total_tokens"]?.intValue == 2)
    }

    @Test func aStreamIsRoleContentFinishUsageDone() throws {
        let h = try ServeHarness(service([[.text("Hel"), .text("lo")]]))
        let r = try h.post(#"{"messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}"#)
        #expect(r.status == 200 && r.headers["content-type"] == "text/event-stream")
        let events = r.events
        #expect(events.count == 6 && events.last == "[DONE]")
        let chunks = events.dropLast().compactMap { try? JSONParser.parse($0) }
        #expect(chunks.count == 5)
        #expect(chunks.allSatisfy { $0["object"]?.stringValue == "chat.completion.chunk" && $0["model"]?.stringValue == "tiny.gguf" })
        #expect(Set(chunks.compactMap { $0["id"]?.stringValue }).count == 1)
        let deltas = chunks.compactMap { $0["choices"]?.arrayValue?.first?["delta"] }
        #expect(deltas.first?["role"]?.stringValue == "assistant")
        #expect(deltas.compactMap { $0["content"]?.stringValue }.joined() == "Hello")
        #expect(chunks[3]["choices"]?.arrayValue?.first?["finish_reason"]?.stringValue == "stop")
        #expect(chunks[0]["usage"] == .null && chunks[4]["choices"] == .array([]))
        #expect(chunks[4]["usage"]?["completion_tokens"]?.intValue == 2)
    }

    @Test func aToolCallStreamsAsToolCallDeltas() throws {
        let call = ReplyPiece.toolCall(ToolCall(id: "", name: "sell_item", arguments: #"{"item":"sword","quantity":1}"#))
        let h = try ServeHarness(service([[call]]))
        let body = #"{"messages":[{"role":"user","content":"a sword"}],"stream":true,"tools":[\#(Self.sellTool)],"tool_choice":"required"}"#
        let events = try h.post(body).events
        #expect(events.last == "[DONE]")
        let deltas = events.dropLast().compactMap { try? JSONParser.parse($0) }.compactMap { $0["choices"]?.arrayValue?.first }
        let calls = deltas.compactMap { $0["delta"]?["tool_calls"]?.arrayValue?.first }
        #expect(calls.count == 2)
        #expect(calls.first?["id"]?.stringValue?.hasPrefix("call_") == true && calls.first?["function"]?["name"]?.stringValue == "sell_item")
        #expect(calls.allSatisfy { $0["index"]?.intValue == 0 })
        let arguments = calls.compactMap { $0["function"]?["arguments"]?.stringValue }.joined()
        #expect(arguments == #"{"item":"sword","quantity":1}"#)
        #expect(deltas.last?["finish_reason"]?.stringValue == "tool_calls")

        // the same call, not streamed
        let whole = try h.post(#"{"messages":[{"role":"user","content":"a sword"}],"tools":[\#(Self.sellTool)]}"#).json
        let message = whole?["choices"]?.arrayValue?.first?["message"]
        #expect(message?["content"] == .null)
        #expect(message?["tool_calls"]?.arrayValue?.first?["function"]?["arguments"]?.stringValue == arguments)
    }

    @Test func aSecondRequestWaitsThenGets503() throws {
        let gate = DispatchSemaphore(value: 0)
        let entered = DispatchSemaphore(value: 0)
        let service = ChatCompletionsService(source: BlockingSource(gate: gate, entered: entered), contextLength: 256,
                                             modelID: "tiny.gguf", queueTimeout: 0.3)
        let h = try ServeHarness(service)
        let port = h.server.port
        let body = #"{"messages":[{"role":"user","content":"hi"}]}"#
        let request = Array("POST /v1/chat/completions HTTP/1.1\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
        let first = LockedResponse()
        let thread = Thread { first.set(try? RawHTTPConnection.exchange(port: port, request)) }
        thread.start()
        #expect(entered.wait(timeout: .now() + 10) == .success)
        let busy = ServeResponse(try RawHTTPConnection.exchange(port: port, request))
        #expect(busy.status == 503 && busy.json?["error"]?["type"]?.stringValue == "server_error")
        gate.signal()
        for _ in 0..<200 where first.value == nil { usleep(20_000) }
        #expect(ServeResponse(first.value ?? []).status == 200)
    }
}

/// Blocks in `start` until signalled (a long generation holding the model).
struct BlockingSource: ReplySource {
    let gate: DispatchSemaphore
    let entered: DispatchSemaphore
    func start(_ request: ReplyRequest) throws(RuntimeError) -> any ReplyStream {
        entered.signal()
        _ = gate.wait(timeout: .now() + 10)
        return OneText()
    }
    struct OneText: ReplyStream {
        var stats = ReplyStats()
        var done = false
        mutating func next() throws(RuntimeError) -> ReplyPiece? {
            guard !done else { return nil }
            done = true
            return .text("done")
        }
    }
}

final class LockedResponse: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8]?
    func set(_ b: [UInt8]?) { lock.withLock { bytes = b } }
    var value: [UInt8]? { lock.withLock { bytes } }
}
