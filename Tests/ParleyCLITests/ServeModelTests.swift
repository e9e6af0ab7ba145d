import Foundation
import HTTPServer
import NPCRuntime
import Testing
@testable import ParleyCLI

/// `parley serve` end to end on the real SmolLM2 model: a streamed completion
/// and a forced tool call, over a socket. Skipped when the model is missing,
/// unless PARLEY_REQUIRE_MODELS=1 (then it fails).
@Suite(.serialized) struct ServeModelTests {
    static let modelName = "smollm2-135m-instruct-q4_1.gguf"
    static let requireModels = ProcessInfo.processInfo.environment["PARLEY_REQUIRE_MODELS"] == "1"

    static let model: LanguageModel? = {
        guard let path = try? ModelLocator.resolve(modelName) else { return nil }
        return try? LanguageModel(path: path, threads: 2, contextLength: 1024)
    }()

    /// A server on the model (stopped when released), or nil after recording
    /// why (a skip, or a failure when models are required).
    func server() throws -> ServeHarness? {
        if let model = Self.model {
            return try ServeHarness(ChatCompletionsService(model: model, modelID: Self.modelName, defaultMaxTokens: 64))
        }
        if Self.requireModels {
            Issue.record("\(Self.modelName) not found (PARLEY_MODELS or models/) and PARLEY_REQUIRE_MODELS=1")
        } else {
            print("ServeModelTests: skipped, \(Self.modelName) not found in PARLEY_MODELS or models/")
        }
        return nil
    }

    @Test func aStreamedCompletionIsRoleContentFinishDone() throws {
        guard let h = try server() else { return }
        let body = #"{"model":"smollm2","stream":true,"max_tokens":40,"temperature":0,"messages":[{"role":"system","content":"You are Mara, the innkeeper of the Drowned Lantern."},{"role":"user","content":"Good evening! What is on the menu tonight?"}]}"#
        let r = try h.post(body)
        #expect(r.status == 200 && r.headers["content-type"] == "text/event-stream")
        let events = r.events
        #expect(events.last == "[DONE]")
        let choices = events.dropLast().compactMap { try? JSONParser.parse($0) }.compactMap { $0["choices"]?.arrayValue?.first }
        #expect(choices.count == events.count - 1, "every event but [DONE] is a chunk")
        #expect(choices.first?["delta"]?["role"]?.stringValue == "assistant")
        let contents = choices.compactMap { $0["delta"]?["content"]?.stringValue }.filter { !$0.isEmpty }
        #expect(contents.count >= 1)
        let text = contents.joined()
        #expect(!text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "text: \(text)")
        let finish = choices.last?["finish_reason"]?.stringValue
        #expect(finish == "stop" || finish == "length")
        #expect(choices.dropLast().allSatisfy { $0["finish_reason"] == .null })

        // greedy and the same prompt: the non-streamed answer is the same text
        let whole = try h.post(body.replacingOccurrences(of: #""stream":true"#, with: #""stream":false"#)).json
        #expect(whole?["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue == text)
        #expect((whole?["usage"]?["prompt_tokens"]?.intValue ?? 0) > 10)
    }

    @Test func aNamedToolChoiceStreamsACallThatMatchesTheSchema() throws {
        guard let h = try server() else { return }
        let schema = #"{"type":"object","properties":{"item":{"type":"string","enum":["sword","shield","healing_potion"]},"quantity":{"type":"integer","minimum":1,"maximum":5}},"required":["item","quantity"]}"#
        let body = #"""
            {"model":"smollm2","stream":true,"messages":[{"role":"system","content":"You are Brom, the blacksmith."},
              {"role":"user","content":"Sell me two shields, please."}],
             "tools":[{"type":"function","function":{"name":"sell_item","description":"Sell the player an item from the forge.","parameters":\#(schema)}}],
             "tool_choice":{"type":"function","function":{"name":"sell_item"}}}
            """#
        let r = try h.post(body)
        #expect(r.status == 200)
        #expect(r.events.last == "[DONE]")
        let choices = r.events.dropLast().compactMap { try? JSONParser.parse($0) }.compactMap { $0["choices"]?.arrayValue?.first }
        let calls = choices.compactMap { $0["delta"]?["tool_calls"]?.arrayValue?.first }
        #expect(calls.first?["function"]?["name"]?.stringValue == "sell_item")
        #expect(calls.first?["type"]?.stringValue == "function" && calls.first?["id"]?.stringValue?.hasPrefix("call_") == true)
        let arguments = calls.compactMap { $0["function"]?["arguments"]?.stringValue }.joined()
        let parsed = try JSONParser.parse(arguments)
        let spec = try ToolSpec(name: "sell_item", description: "", parametersJSON: schema)
        #expect(spec.parameters.validate(parsed) == nil, "arguments: \(arguments)")
        #expect(["sword", "shield", "healing_potion"].contains(parsed["item"]?.stringValue ?? ""))
        #expect((1...5).contains(parsed["quantity"]?.intValue ?? 0))
        #expect(choices.last?["finish_reason"]?.stringValue == "tool_calls")
    }
}
