import Foundation
import Testing
@testable import NPCRuntime

/// The game's guard asked about an action before the NPC writes its call.
@Suite struct ToolPrecheckTests {
    static func tool(_ name: String, _ schema: String) throws -> ToolSpec {
        try ToolSpec(name: name, description: "An action.", parametersJSON: schema)
    }

    static let gate = #"{"type":"object","properties":{"gate":{"type":"string","enum":["north","south","sea"]}},"required":["gate"],"additionalProperties":false}"#
    static let sell = #"{"type":"object","properties":{"item":{"type":"string","enum":["rope","torch"]},"quantity":{"type":"integer","minimum":1,"maximum":3},"gift":{"type":"boolean"},"note":{"type":"string"}},"required":["item","quantity"],"additionalProperties":false}"#

    @Test func theCallsAskedAboutAreCompleteAndValid() throws {
        let sell = try Self.tool("sell_item", Self.sell)
        let check = try #require(ToolPrecheck(tool: sell, original: sell))
        // item × quantity; the optional gift and note are left out, as the model may leave them
        #expect(check.candidates == [
            #"{"item":"rope","quantity":1}"#, #"{"item":"rope","quantity":2}"#, #"{"item":"rope","quantity":3}"#,
            #"{"item":"torch","quantity":1}"#, #"{"item":"torch","quantity":2}"#, #"{"item":"torch","quantity":3}"#,
        ])
        for c in check.candidates {
            #expect(ToolStep.problem(with: ToolCall(id: "", name: "sell_item", arguments: c), tools: [sell]) == nil)
        }
    }

    @Test func whatTheLineNamesNarrowsTheCalls() throws {
        let sell = try Self.tool("sell_item", Self.sell)
        let named = ArgumentGrounding.narrow(sell, line: "Sell me two torches as a gift, please.", context: "")
        let check = try #require(ToolPrecheck(tool: named, original: sell))
        #expect(check.candidates == [#"{"item":"torch","quantity":2}"#])

        // an optional parameter the line narrows is asked about too
        let optional = try Self.tool("rent", #"{"type":"object","properties":{"nights":{"type":"integer","minimum":1,"maximum":7}},"additionalProperties":false}"#)
        let three = ArgumentGrounding.narrow(optional, line: "A room for three nights.", context: "")
        #expect(try #require(ToolPrecheck(tool: three, original: optional)).candidates == [#"{"nights":3}"#])
        #expect(try #require(ToolPrecheck(tool: optional, original: optional)).candidates == ["{}"])
    }

    @Test func unboundedOrTooManyCallsAreNotAskedAbout() throws {
        let pass = try Self.tool("issue_pass", #"{"type":"object","properties":{"holder":{"type":"string"},"days":{"type":"integer","minimum":1,"maximum":3}},"required":["holder","days"],"additionalProperties":false}"#)
        #expect(ToolPrecheck(tool: pass, original: pass) == nil)  // free text
        let wide = try Self.tool("pay", #"{"type":"object","properties":{"gold":{"type":"integer","minimum":1,"maximum":100}},"required":["gold"],"additionalProperties":false}"#)
        #expect(ToolPrecheck(tool: wide, original: wide) == nil)
        let many = try Self.tool("mix", #"{"type":"object","properties":{"a":{"enum":["x","y","z"]},"b":{"enum":["p","q","r"]},"c":{"type":"boolean"}},"required":["a","b","c"],"additionalProperties":false}"#)
        #expect(ToolPrecheck(tool: many, original: many) == nil)  // 18 > 16
    }

    @Test func refusedValuesLeaveTheGrammar() throws {
        let gate = try Self.tool("open_gate", Self.gate)
        let check = try #require(ToolPrecheck(tool: gate, original: gate))
        #expect(check.candidates == [#"{"gate":"north"}"#, #"{"gate":"south"}"#, #"{"gate":"sea"}"#])
        guard case .call(let narrowed) = check.outcome(["shut", nil, "flooded"]) else {
            Issue.record("an allowed gate was refused")
            return
        }
        #expect(narrowed.parameters == .object([.init(name: "gate", schema: .enumeration([.string("south")]), isRequired: true)]))
        #expect(check.outcome([nil, nil, nil]) == .call(gate))
        #expect(check.outcome(["shut", "shut", "flooded"]) == .refused(arguments: #"{"gate":"north"}"#, reason: "shut"))
    }

    @Test func aRequiredBooleanIsAskedAboutAndNarrowed() throws {
        let repair = try Self.tool("repair_item", #"{"type":"object","properties":{"item":{"type":"string","enum":["sword","axe"]},"rush":{"type":"boolean"}},"required":["item","rush"],"additionalProperties":false}"#)
        let check = try #require(ToolPrecheck(tool: repair, original: repair))
        #expect(check.candidates == [#"{"item":"sword","rush":false}"#, #"{"item":"sword","rush":true}"#,
                                     #"{"item":"axe","rush":false}"#, #"{"item":"axe","rush":true}"#])
        // no rushed work today: the grammar keeps both items and only "rush": false
        guard case .call(let narrowed) = check.outcome([nil, "no rush today", nil, "no rush today"]) else {
            Issue.record("no call")
            return
        }
        #expect(narrowed.parameters == .object([
            .init(name: "item", schema: .enumeration([.string("sword"), .string("axe")]), isRequired: true),
            .init(name: "rush", schema: .enumeration([.bool(false)]), isRequired: true),
        ]))
        let grammar = try CallGrammar(tools: [narrowed], suffix: "</tool_call>")
        #expect(grammar.accepts(#"{"name": "repair_item", "arguments": {"item": "axe", "rush": false}}</tool_call>"#))
        #expect(!grammar.accepts(#"{"name": "repair_item", "arguments": {"item": "axe", "rush": true}}</tool_call>"#))
    }

    @Test func aValueIsKeptWhenAnyAllowedCallUsesIt() throws {
        let sell = try Self.tool("sell_item", Self.sell)
        let check = try #require(ToolPrecheck(tool: sell, original: sell))
        // rope at any quantity, torch only one at a time
        guard case .call(let narrowed) = check.outcome([nil, nil, nil, nil, "one torch a day", "one torch a day"]),
              case .object(let properties) = narrowed.parameters else {
            Issue.record("no call")
            return
        }
        #expect(properties.first { $0.name == "item" }?.schema == .enumeration([.string("rope"), .string("torch")]))
        #expect(properties.first { $0.name == "quantity" }?.schema == .integer(minimum: 1, maximum: 3))
        // nothing at 3: the quantity keeps 1 and 2
        guard case .call(let fewer) = check.outcome([nil, nil, "too many", nil, nil, "too many"]),
              case .object(let props) = fewer.parameters else {
            Issue.record("no call")
            return
        }
        #expect(props.first { $0.name == "quantity" }?.schema == .enumeration([.number(1), .number(2)]))
    }
}

/// The runtime's side: the turn parks on the question, the guard answers in poll.
@Suite(.serialized) struct ToolPrecheckRuntimeTests {
    /// A scripted decision (the local model's `ToolDecision` in a game), then, as the
    /// local source does, the call when the request requires one, else speech.
    final class DecidingSource: ReplySource, ActionDeciding, @unchecked Sendable {
        let script: ScriptedReplySource
        let decision: ToolSpec?
        private let lock = Lock()
        private var _requests: [(decides: Bool, required: [ToolSpec], messages: [ChatMessage])] = []
        var requests: [(decides: Bool, required: [ToolSpec], messages: [ChatMessage])] { lock.withLock { _requests } }

        /// `call`: the call the model writes when one is required; `talk`: its reply otherwise.
        init(call: ToolCall? = nil, talk: String, decision: ToolSpec?) {
            script = ScriptedReplySource(["Guard": [call.map { [.toolCall($0)] } ?? [.text(talk)], [.text(talk)]]])
            self.decision = decision
        }
        func chooseAction(_ request: ReplyRequest) throws(RuntimeError) -> ToolSpec? { decision }
        func start(_ request: ReplyRequest) throws(RuntimeError) -> any ReplyStream {
            lock.withLock { _requests.append((request.decidesAction, request.requiredTools, request.messages)) }
            var leg = request
            // speech: the script's leg after a result
            if request.requiredTools.isEmpty && !request.messages.reversed().prefix(while: { $0.role != .user }).contains(where: { $0.role == .tool }) {
                leg.messages.append(ChatMessage(.tool, "(talk)"))
            }
            return try script.start(leg)
        }
    }

    let steps = ToolStepTests()

    func setUp(_ source: DecidingSource) throws -> (Runtime, NPC) {
        var c = RuntimeConfig(modelPath: nil, voicePath: nil)
        c.threads = 1
        let rt = try Runtime(config: c, replySource: source)
        var n = NPCConfig(name: "Guard", persona: "Keeps the gates.")
        n.tools = [try ToolPrecheckTests.tool("open_gate", ToolPrecheckTests.gate)]
        return (rt, try rt.createNPC(n))
    }

    @Test func aRefusedActionIsNeverWrittenAndTheNPCIsToldWhy() throws {
        let gate = try ToolPrecheckTests.tool("open_gate", ToolPrecheckTests.gate)
        let north = ArgumentGrounding.narrow(gate, line: "Open the north gate.", context: "")
        let source = DecidingSource(talk: "The north gate stays shut.", decision: north)
        let (rt, npc) = try setUp(source)
        let asked = Lock()
        nonisolated(unsafe) var arguments: [String] = []
        try rt.setToolGuard(npc, tool: "open_gate") { args in
            asked.withLock { arguments.append(args) }
            return .refuse("the captain sealed it")
        }
        _ = try rt.say(npc, "Open the north gate.")
        let events = steps.poll(rt) { $0.kind == .done }
        #expect(asked.withLock { arguments } == [#"{"gate":"north"}"#])
        #expect(!events.contains { $0.kind == .toolCall || $0.errorKind == .toolRejected })
        #expect(events.last?.errorKind == nil && events.last?.text == "The north gate stays shut.")
        let request = try #require(source.requests.last)
        #expect(!request.decides && request.required.isEmpty)
        let note = try #require(source.requests.last?.messages.last)
        #expect(note.role == .system && note.content.contains("the captain sealed it") && note.content.contains("open gate (north)"))
        // the note stays with the exchange, before the reply
        #expect(npc.history.map(\.role) == [.user, .system, .assistant])
    }

    @Test func onlyAllowedValuesReachTheGrammar() throws {
        let gate = try ToolPrecheckTests.tool("open_gate", ToolPrecheckTests.gate)
        let call = ToolCall(id: "", name: "open_gate", arguments: #"{"gate":"south"}"#)
        let source = DecidingSource(call: call, talk: "Opened.", decision: gate)
        let (rt, npc) = try setUp(source)
        try rt.setToolGuard(npc, tool: "open_gate") { $0.contains("south") ? .allow : .refuse("shut") }
        _ = try rt.say(npc, "Open a gate for me.")
        let handed = try #require(steps.poll(rt) { $0.kind == .toolCall }.last)
        #expect(handed.text == #"{"gate":"south"}"#)
        try rt.toolResult(npc, callID: try #require(handed.callID), result: #"{"ok":true}"#)
        #expect(steps.poll(rt) { $0.kind == .done }.last?.text == "Opened.")
        let first = try #require(source.requests.first)
        #expect(!first.decides && first.required.map(\.parameters)
            == [.object([.init(name: "gate", schema: .enumeration([.string("south")]), isRequired: true)])])
        // after the game's result the NPC tells the outcome: no second forced call
        #expect(source.requests.count == 2 && source.requests[1].required.isEmpty)
    }

    @Test func withoutAGuardTheCallIsWrittenAtOnce() throws {
        let gate = try ToolPrecheckTests.tool("open_gate", ToolPrecheckTests.gate)
        let call = ToolCall(id: "", name: "open_gate", arguments: #"{"gate":"sea"}"#)
        let source = DecidingSource(call: call, talk: "Done.", decision: gate)
        let (rt, npc) = try setUp(source)
        _ = try rt.say(npc, "Open the sea gate.")
        let handed = try #require(steps.poll(rt) { $0.kind == .toolCall }.last)
        #expect(source.requests.first?.required == [gate])
        try rt.toolResult(npc, callID: try #require(handed.callID), result: #"{"ok":true}"#)
        #expect(steps.poll(rt) { $0.kind == .done }.last?.errorKind == nil)
    }

    @Test func aSpentRateLimitRefusesBeforeTheCallAndCountsNothing() throws {
        let gate = try ToolPrecheckTests.tool("open_gate", ToolPrecheckTests.gate)
        let call = ToolCall(id: "", name: "open_gate", arguments: #"{"gate":"sea"}"#)
        let source = DecidingSource(call: call, talk: "Done.", decision: gate)
        let (rt, npc) = try setUp(source)
        try rt.setToolRateLimit(npc, tool: "open_gate", maxCalls: 1, seconds: 3600)
        _ = try rt.say(npc, "Open the sea gate.")
        let first = try #require(steps.poll(rt) { $0.kind == .toolCall }.last)  // the precheck counted nothing
        try rt.toolResult(npc, callID: try #require(first.callID), result: #"{"ok":true}"#)
        _ = steps.poll(rt) { $0.kind == .done }
        _ = try rt.say(npc, "Open the sea gate again.")
        let second = steps.poll(rt) { $0.kind == .done }
        #expect(!second.contains { $0.kind == .toolCall || $0.errorKind == .toolRejected })
        #expect(source.requests.last?.messages.last?.content.contains("open_gate was used too often just now") == true)
    }

    @Test func aTurnCancelledWhileTheGameIsAskedEndsOnce() throws {
        let gate = try ToolPrecheckTests.tool("open_gate", ToolPrecheckTests.gate)
        let source = DecidingSource(talk: "Unused.", decision: gate)
        let (rt, npc) = try setUp(source)
        let asked = Lock()
        nonisolated(unsafe) var calls = 0
        try rt.setToolGuard(npc, tool: "open_gate") { _ in asked.withLock { calls += 1 }; return .allow }
        let turn = try rt.say(npc, "Open the sea gate.")
        // the worker parks the turn; cancel before poll answers
        let start = monotonicMs()
        while npc.lock.withLock({ npc.activeTurn })?.isAwaitingPrecheck != true && monotonicMs() - start < 10_000 { usleep(1000) }
        rt.cancel(npc, turnID: turn)
        let events = steps.poll(rt) { $0.kind == .done }
        #expect(events.filter { $0.kind == .done }.count == 1 && events.last?.errorKind == .cancelled)
        #expect(asked.withLock { calls } == 0 && source.requests.isEmpty)
    }
}
