import Foundation
import Testing
@testable import NPCRuntime

/// The tool step: a turn parks on a call without holding the model worker, and
/// resumes with the game's result in its context.
@Suite(.serialized) struct ToolStepTests {
    static let voice = "en_US-joe-medium.onnx"
    let openGate = ToolCall(id: "src-1", name: "open_gate", arguments: #"{"gate":"north"}"#)
    static let gateTool: ToolSpec = {
        let schema = #"{"type":"object","properties":{"gate":{"type":"string","enum":["north","south"]}},"required":["gate"],"additionalProperties":false}"#
        // a literal schema: a failure here is a test bug, reported by the tests that use it
        return (try? ToolSpec(name: "open_gate", description: "Open a gate of the town.", parametersJSON: schema))
            ?? (try! ToolSpec(name: "broken", description: "", parametersJSON: "{}"))
    }()

    func npc(_ rt: Runtime, _ name: String, tools: [ToolSpec] = [gateTool]) throws -> NPC {
        var c = NPCConfig(name: name, persona: "Keeps the north gate.")
        c.tools = tools
        return try rt.createNPC(c)
    }

    func runtime(_ source: ScriptedReplySource, voice: Bool = false) throws -> Runtime {
        var c = RuntimeConfig(modelPath: nil, voicePath: voice ? try #require(TestPaths.model(Self.voice)) : nil)
        c.threads = 1
        return try Runtime(config: c, replySource: source)
    }

    func poll(_ rt: Runtime, until done: (RuntimeEvent) -> Bool, limit: Double = 60_000) -> [RuntimeEvent] {
        var out: [RuntimeEvent] = []
        let start = monotonicMs()
        while monotonicMs() - start < limit {
            guard let e = rt.poll() else { usleep(1000); continue }
            out.append(e)
            if done(e) { break }
        }
        return out
    }

    @Test(.enabled(if: TestPaths.hasModel(voice) && Espeak.available))
    func otherNPCTalksWhileATurnWaitsOnATool() throws {
        let source = ScriptedReplySource([
            "Guard": [[.text("Let me check. "), .toolCall(openGate)], [.text("The gate is open.")]],
            "Mara": [[.text("Welcome to the Drowned Lantern. Sit by the fire.")]],
        ])
        let rt = try runtime(source, voice: true)
        let guardNPC = try npc(rt, "Guard")
        let mara = try npc(rt, "Mara", tools: [])

        let guardTurn = try rt.say(guardNPC, "Open the gate, please.")
        let call = try #require(poll(rt) { $0.kind == .toolCall }.last)
        #expect(call.npcID == guardNPC.id && call.turnID == guardTurn)
        #expect(call.name == "open_gate" && call.text == #"{"gate":"north"}"#)
        let callID = try #require(call.callID)
        #expect(callID == "\(guardTurn).1")

        // The guard's turn is parked; Mara's whole turn, with audio, completes meanwhile.
        let maraTurn = try rt.say(mara, "Good evening!")
        let maraEvents = poll(rt) { $0.kind == .done && $0.turnID == maraTurn }
        #expect(!maraEvents.contains { $0.turnID == guardTurn && $0.kind == .done })
        let maraDone = try #require(maraEvents.last)
        #expect(maraDone.kind == .done && maraDone.errorKind == nil)
        #expect(maraDone.text == "Welcome to the Drowned Lantern. Sit by the fire.")
        let audio = maraEvents.filter { $0.kind == .audio && $0.turnID == maraTurn }
        #expect(audio.reduce(0) { $0 + $1.samples.count } > 22050)  // over a second of speech

        // The result resumes the guard's turn with the call and result in its prompt.
        #expect(throws: RuntimeError.self) { try rt.toolResult(guardNPC, callID: "nope", result: "{}") }
        try rt.toolResult(guardNPC, callID: callID, result: #"{"ok":true}"#)
        #expect(throws: RuntimeError.self) { try rt.toolResult(guardNPC, callID: callID, result: "{}") }  // answered once
        let guardEvents = poll(rt) { $0.kind == .done && $0.turnID == guardTurn }
        let done = try #require(guardEvents.last)
        #expect(done.errorKind == nil && done.text == "Let me check. The gate is open.")
        let resumedPrompt = try #require(source.prompts.last)
        #expect(resumedPrompt.suffix(3).map(\.role) == [.user, .assistant, .tool])
        #expect(resumedPrompt.last?.content.hasPrefix("ok: true\n") == true)  // the result in words for the model
        #expect(resumedPrompt[resumedPrompt.count - 2].content.contains("open_gate"))
        // History keeps the tool step between the line and the reply.
        #expect(guardNPC.history.map(\.role) == [.user, .assistant, .tool, .assistant])
    }

    @Test func cancelAndBargeInEndAParkedTurn() throws {
        let source = ScriptedReplySource(["Guard": [[.toolCall(openGate)], [.text("Done.")]]])
        let rt = try runtime(source)
        let npc = try npc(rt, "Guard")
        let first = try rt.say(npc, "Open it.")
        _ = poll(rt) { $0.kind == .toolCall }
        rt.cancel(npc)
        let cancelled = poll(rt) { $0.kind == .done }
        #expect(cancelled.last?.turnID == first && cancelled.last?.errorKind == .cancelled)

        let second = try rt.say(npc, "Open it.")
        let call = try #require(poll(rt) { $0.kind == .toolCall }.last?.callID)
        let third = try rt.say(npc, "Never mind.")  // barge-in on the parked turn
        let events = poll(rt) { $0.kind == .toolCall && $0.turnID == third }
        #expect(events.contains { $0.kind == .done && $0.turnID == second && $0.errorKind == .cancelled })
        #expect(throws: RuntimeError.self) { try rt.toolResult(npc, callID: call, result: "{}") }
        #expect(npc.history.isEmpty)
    }

    @Test func aTurnMakesAtMostMaxToolStepsCalls() throws {
        let legs = Array(repeating: [ReplyPiece.toolCall(openGate)], count: Runtime.maxToolSteps + 1)
        let source = ScriptedReplySource(["Guard": legs])
        let rt = try runtime(source)
        let npc = try npc(rt, "Guard")
        let turn = try rt.say(npc, "Open all the gates.")
        var calls = 0
        var events: [RuntimeEvent] = []
        while true {
            let batch = poll(rt) { $0.kind == .toolCall || $0.kind == .done }
            events += batch
            guard let last = batch.last, last.kind == .toolCall, let id = last.callID else { break }
            calls += 1
            try rt.toolResult(npc, callID: id, result: #"{"ok":true}"#)
        }
        #expect(calls == Runtime.maxToolSteps)
        #expect(events.contains { $0.kind == .error && $0.errorKind == .toolRejected })
        #expect(events.last?.kind == .done && events.last?.turnID == turn)
        #expect(throws: RuntimeError.self) {
            try rt.toolResult(npc, callID: "x", result: String(repeating: "a", count: Runtime.maxToolResultBytes + 1))
        }
    }
}

/// The checks before the game runs a call: allowlist and schema on the worker,
/// the game's guard and the rate limit in `poll`.
@Suite(.serialized) struct ToolGuardTests {
    let t = ToolStepTests()

    @Test func callsOutsideTheAllowlistOrSchemaNeverReachTheGame() throws {
        let source = ScriptedReplySource(["Guard": [
            [.toolCall(ToolCall(id: "a", name: "open_vault", arguments: "{}"))],
            [.toolCall(ToolCall(id: "b", name: "open_gate", arguments: #"{"gate":"west"}"#))],
            [.toolCall(ToolCall(id: "c", name: "open_gate", arguments: #"{"gate":"north","force":true}"#))],
            [.text("I cannot do that.")],
        ]])
        let rt = try t.runtime(source)
        let npc = try t.npc(rt, "Guard")
        let turn = try rt.say(npc, "Open the vault.")
        let events = t.poll(rt) { $0.kind == .done }
        #expect(!events.contains { $0.kind == .toolCall })
        let rejected = events.filter { $0.kind == .error && $0.errorKind == .toolRejected }
        #expect(rejected.map { $0.name ?? "" } == ["open_vault", "open_gate", "open_gate"])
        #expect(rejected.map { $0.toolArguments ?? "" } == ["{}", #"{"gate":"west"}"#, #"{"gate":"north","force":true}"#])
        #expect(events.last?.turnID == turn && events.last?.errorKind == nil && events.last?.text == "I cannot do that.")
        // each refusal went back to the model as the tool result
        let last = try #require(source.prompts.last)
        #expect(last.filter { $0.role == .tool }.count == 3)
        #expect(last.filter { $0.role == .tool }.allSatisfy { $0.content.contains("\"ok\":false") || $0.content.hasPrefix("ok: false") })
    }

    @Test func theGamesGuardRefusesOnItsThreadAndTheNPCHearsWhy() throws {
        let source = ScriptedReplySource(["Guard": [[.toolCall(t.openGate)], [.text("The captain forbids it.")]]])
        let rt = try t.runtime(source)
        let npc = try t.npc(rt, "Guard")
        let seen = Lock()
        nonisolated(unsafe) var arguments: [String] = []
        try rt.setToolGuard(npc, tool: "open_gate") { args in
            seen.withLock { arguments.append(args) }
            return .refuse("the north gate is sealed by order of the captain")
        }
        #expect(throws: RuntimeError.self) { try rt.setToolGuard(npc, tool: "sell_item", nil) }
        _ = try rt.say(npc, "Open the north gate.")
        let events = t.poll(rt) { $0.kind == .done }
        #expect(seen.withLock { arguments } == [#"{"gate":"north"}"#])
        #expect(!events.contains { $0.kind == .toolCall })
        let refused = try #require(events.first { $0.errorKind == .toolRejected })
        #expect(refused.text == "the north gate is sealed by order of the captain" && refused.name == "open_gate")
        #expect(events.last?.text == "The captain forbids it.")
        #expect(source.prompts.last?.last?.content.contains("sealed by order of the captain") == true)
    }

    @Test func aRateLimitRefusesTheCallsBeyondIt() throws {
        let legs: [[ReplyPiece]] = [[.toolCall(t.openGate)], [.text("Done.")]]
        let source = ScriptedReplySource(["Guard": legs])
        let rt = try t.runtime(source)
        let npc = try t.npc(rt, "Guard")
        try rt.setToolRateLimit(npc, tool: "open_gate", maxCalls: 1, seconds: 3600)
        #expect(throws: RuntimeError.self) { try rt.setToolRateLimit(npc, tool: "open_gate", maxCalls: -1, seconds: 1) }
        var handed = 0, refused = 0
        for _ in 0..<2 {
            _ = try rt.say(npc, "Open the gate.")
            while true {
                let batch = t.poll(rt) { $0.kind == .toolCall || $0.kind == .done }
                refused += batch.filter { $0.errorKind == .toolRejected }.count
                guard let last = batch.last, last.kind == .toolCall, let id = last.callID else { break }
                handed += 1
                try rt.toolResult(npc, callID: id, result: #"{"ok":true}"#)
            }
        }
        #expect(handed == 1 && refused == 1)
    }
}
