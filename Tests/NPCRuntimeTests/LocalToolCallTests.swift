import Foundation
import Testing
@testable import NPCRuntime

/// Tool calls from the real local models: the decision, the grammar-constrained
/// call, the game's answer, and the NPC speaking the outcome.
@Suite(.serialized) struct LocalToolCallTests {
    static let models = ["smollm2-135m-instruct-q4_1.gguf", "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"]
    static let sellTool: ToolSpec? = try? ToolSpec(
        name: "sell_item", description: "Sell the player an item from the shop.",
        parametersJSON: #"{"type":"object","properties":{"item":{"type":"string","enum":["sword","shield","healing_potion"]},"quantity":{"type":"integer","minimum":1,"maximum":5}},"required":["item","quantity"],"additionalProperties":false}"#)

    func runtime(_ model: String) throws -> (Runtime, NPC) {
        var c = RuntimeConfig(modelPath: try #require(TestPaths.model(model)))
        c.threads = 2
        c.contextLength = 1024
        let rt = try Runtime(config: c)
        var npc = NPCConfig(name: "Brom", persona: "The blacksmith of Hollowmere; gruff but fair.")
        npc.knowledge = ["A sword costs ten silver, a shield eight, a healing potion three."]
        npc.tools = [try #require(Self.sellTool)]
        npc.maxReplyTokens = 32
        npc.sampler = .greedy
        return (rt, try rt.createNPC(npc))
    }

    func drain(_ rt: Runtime, turn: UInt64, answer: (RuntimeEvent) -> String? = { _ in nil }) -> [RuntimeEvent] {
        var out: [RuntimeEvent] = []
        let start = monotonicMs()
        while monotonicMs() - start < 120_000 {
            guard let e = rt.poll() else { usleep(1000); continue }
            guard e.turnID == turn else { continue }
            out.append(e)
            if e.kind == .toolCall, let id = e.callID, let result = answer(e), let npc = rt.npc(id: e.npcID) {
                try? rt.toolResult(npc, callID: id, result: result)
            }
            if e.kind == .done { break }
        }
        return out
    }

    @Test(arguments: models)
    func aRequestedPurchaseBecomesAValidCallAndTheNPCSpeaksTheOutcome(model: String) throws {
        guard TestPaths.hasModel(model) else { return }
        let (rt, npc) = try runtime(model)
        let turn = try rt.say(npc, "I want to buy a sword. Sell me one sword, please.")
        let events = drain(rt, turn: turn) { _ in #"{"ok":true,"item":"sword","price":"ten silver"}"# }
        let calls = events.filter { $0.kind == .toolCall }
        #expect(calls.count == 1, "a plain request that names the shop's item is acted on")
        #expect(!events.contains { $0.errorKind == .toolRejected }, "every call the grammar produces validates")
        for call in calls {
            #expect(call.name == "sell_item")
            let args = try JSONParser.parse(try #require(call.text))
            #expect(try #require(Self.sellTool).parameters.validate(args) == nil, "\(call.text ?? "")")
        }
        #expect(events.last?.kind == .done && events.last?.errorKind == nil)
        let reply = events.last?.text ?? ""
        // the turn resumes and the NPC says something (its quality is measured by `parley eval`)
        #expect(!reply.isEmpty, "reply: \(reply)")
        #expect(npc.history.map(\.role) == [.user, .assistant, .tool, .assistant])
    }

    @Test(arguments: models)
    func aRequestTheGameRefusesIsNeverWrittenAndTheNPCSaysNo(model: String) throws {
        guard TestPaths.hasModel(model) else { return }
        let (rt, npc) = try runtime(model)
        let asked = Lock()
        nonisolated(unsafe) var arguments: [String] = []
        try rt.setToolGuard(npc, tool: "sell_item") { args in
            asked.withLock { arguments.append(args) }
            return args.contains("shield") ? .refuse("the last shield was sold this morning") : .allow
        }
        let turn = try rt.say(npc, "Sell me one shield, please.")
        let events = drain(rt, turn: turn)
        #expect(asked.withLock { arguments } == [#"{"item":"shield","quantity":1}"#], "asked once, before any call")
        #expect(!events.contains { $0.kind == .toolCall || $0.errorKind == .toolRejected })
        #expect(events.last?.kind == .done && events.last?.errorKind == nil)
        let reply = events.last?.text ?? ""
        #expect(!reply.isEmpty)
        #expect(npc.history.map(\.role) == [.user, .system, .assistant])
    }
}
