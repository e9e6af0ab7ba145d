import Testing
import NPCRuntime
@testable import ParleyCLI

/// The case reader: the format's fields, labels apart from the runtime's input, clear errors.
@Suite struct EvalCaseTests {
    let example = #"{"id": "mara-room-price", "kind": "lore", "npc": {"name": "Mara", "persona": "Innkeeper.", "knowledge": ["A room costs five silver a night."], "tools": [{"name": "give_quest", "description": "Offer the player a quest.", "parameters": {"type": "object", "properties": {"quest": {"type": "string", "enum": ["wolf_pelts", "lighthouse"]}}, "required": ["quest"], "additionalProperties": false}}], "guards": {"give_quest": {"deny": [{"quest": "lighthouse"}]}}}, "history": [{"player": "Evening.", "npc": "Evening, love. Sit anywhere."}], "player": "How much is a room?", "expect": {"tool": null, "all_of": [["five", "5"], ["silver"]], "none_of": ["gold"], "max_sentences": 3}}"#

    @Test func readsTheFormatExample() throws {
        let c = try EvalCase.parse(line: example, location: "t:1")
        #expect(c.id == "mara-room-price" && c.kind == "lore")
        #expect(c.input.name == "Mara" && c.input.knowledge == ["A room costs five silver a night."])
        #expect(c.input.tools.map(\.name) == ["give_quest"])
        let schema = try JSONParser.parse(c.input.tools[0].parametersJSON)
        #expect(schema["required"] == .array([.string("quest")]))
        #expect(c.input.guards["give_quest"]?.count == 1)
        #expect(c.input.history.count == 1 && c.input.history[0].npc == "Evening, love. Sit anywhere.")
        #expect(c.input.player == "How much is a room?")
        #expect(c.expect.tool == .noCall)
        #expect(c.expect.allOf == [["five", "5"], ["silver"]] && c.expect.noneOf == ["gold"] && c.expect.maxSentences == 3)
    }

    @Test func toolExpectations() throws {
        let absent = try EvalCase.parse(line: #"{"id":"a","kind":"chitchat","npc":{"name":"A","persona":"p"},"player":"hi","expect":{}}"#, location: "t")
        #expect(absent.expect.tool == .unchecked)
        let call = try EvalCase.parse(line: #"{"id":"b","kind":"tool","npc":{"name":"A","persona":"p"},"player":"hi","expect":{"tool":{"name":"open_gate","arguments":{"gate":"north"}}}}"#, location: "t")
        #expect(call.expect.tool == .call(name: "open_gate", arguments: .object([("gate", .string("north"))])))
    }

    @Test func labelsNeverReachTheInput() throws {
        // The runner takes an EvalInput; none of its strings carry the id, kind or expected words.
        let c = try EvalCase.parse(line: example, location: "t")
        let seen = [c.input.name, c.input.persona, c.input.player] + c.input.knowledge
            + c.input.history.flatMap { [$0.player, $0.npc] } + c.input.tools.map(\.parametersJSON)
        #expect(!seen.contains { $0.contains("mara-room-price") || $0.contains("lore") || $0.contains("gold") })
    }

    @Test func errorsNameTheLine() {
        #expect(throws: EvalCaseError.self) { try EvalCase.load(path: "s.jsonl", text: "{\"id\":1}") }
        do {
            _ = try EvalCase.load(path: "s.jsonl", text: example + "\n\n" + example)
            Issue.record("duplicate ids accepted")
        } catch {
            #expect("\(error)".contains("s.jsonl:3: duplicate id"))
        }
        do {
            _ = try EvalCase.load(path: "s.jsonl", text: "not json")
            Issue.record("bad JSON accepted")
        } catch {
            #expect("\(error)".hasPrefix("s.jsonl:1:"))
        }
    }
}
