import NPCRuntime

/// One case of an eval set (shared EVAL-FORMAT.md). What the runtime may see
/// (`input`) is kept apart from the labels (`id`, `kind`, `expect`), which
/// only the scorer and the report read.
struct EvalCase: Sendable {
    let id: String
    let kind: String
    let input: EvalInput
    let expect: EvalExpectation
}

/// The NPC, its earlier exchanges and the line under test: all a run is given.
struct EvalInput: Sendable {
    struct Tool: Sendable {
        let name: String
        let description: String
        /// The `parameters` schema object, serialized.
        let parametersJSON: String
    }
    let name: String
    let persona: String
    let knowledge: [String]
    let tools: [Tool]
    /// Per tool: argument objects the game refuses (a call matching every key of one is denied).
    let guards: [String: [JSONValue]]
    let history: [(player: String, npc: String)]
    let player: String
}

struct EvalExpectation: Sendable {
    enum ToolCheck: Sendable, Equatable {
        /// `expect.tool` absent.
        case unchecked
        /// `expect.tool: null`: no call may be executed.
        case noCall
        /// This tool, with arguments containing these.
        case call(name: String, arguments: JSONValue)
    }
    var tool: ToolCheck = .unchecked
    var allOf: [[String]] = []
    var noneOf: [String] = []
    var maxSentences: Int?
}

struct EvalCaseError: Error, CustomStringConvertible {
    let description: String
}

/// Typed reads of a case's fields, failing with the case's location.
struct EvalFieldReader {
    let location: String

    func fail(_ why: String) -> EvalCaseError { EvalCaseError(description: "\(location): \(why)") }

    func string(_ v: JSONValue?, _ field: String) throws -> String {
        guard let s = v?.stringValue else { throw fail("\(field) must be a string") }
        return s
    }

    func strings(_ v: JSONValue?, _ field: String) throws -> [String] {
        guard let v else { return [] }
        guard let items = v.arrayValue else { throw fail("\(field) must be an array of strings") }
        return try items.map { try string($0, field) }
    }
}

extension EvalCase {
    /// Reads one JSONL line; only the fields the format lists.
    static func parse(line: String, location: String) throws -> EvalCase {
        let json: JSONValue
        do { json = try JSONParser.parse(line) } catch { throw EvalCaseError(description: "\(location): \(error.message)") }
        let fields = EvalFieldReader(location: location)
        func fail(_ why: String) -> EvalCaseError { fields.fail(why) }
        func string(_ v: JSONValue?, _ field: String) throws -> String { try fields.string(v, field) }
        func strings(_ v: JSONValue?, _ field: String) throws -> [String] { try fields.strings(v, field) }
        guard json.objectValue != nil else { throw fail("a case is a JSON object") }
        let id = try string(json["id"], "id")
        let kind = try string(json["kind"], "kind")
        guard let npc = json["npc"], npc.objectValue != nil else { throw fail("npc must be an object") }

        var tools: [EvalInput.Tool] = []
        for t in npc["tools"]?.arrayValue ?? [] {
            let name = try string(t["name"], "npc.tools[].name")
            let parameters = t["parameters"] ?? .object([("type", .string("object")), ("properties", .object([]))])
            guard parameters.objectValue != nil else { throw fail("npc.tools[\(name)].parameters must be an object") }
            tools.append(.init(name: name, description: t["description"]?.stringValue ?? "",
                               parametersJSON: parameters.serialized))
        }
        var guards: [String: [JSONValue]] = [:]
        for (tool, g) in npc["guards"]?.objectValue ?? [] {
            guard let deny = g["deny"]?.arrayValue, deny.allSatisfy({ $0.objectValue != nil }) else {
                throw fail("npc.guards.\(tool).deny must be an array of objects")
            }
            guards[tool] = deny
        }
        var history: [(player: String, npc: String)] = []
        for h in json["history"]?.arrayValue ?? [] {
            history.append((try string(h["player"], "history[].player"), try string(h["npc"], "history[].npc")))
        }
        let input = EvalInput(name: try string(npc["name"], "npc.name"), persona: try string(npc["persona"], "npc.persona"),
                              knowledge: try strings(npc["knowledge"], "npc.knowledge"), tools: tools, guards: guards,
                              history: history, player: try string(json["player"], "player"))

        let expect = try json["expect"].map { try EvalExpectation.parse($0, location: location) } ?? EvalExpectation()
        return EvalCase(id: id, kind: kind, input: input, expect: expect)
    }

    /// Every case of a JSONL file (blank lines skipped); ids must be unique within it.
    static func load(path: String, text: String) throws -> [EvalCase] {
        var cases: [EvalCase] = []
        var seen: Set<String> = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard !line.allSatisfy({ $0.isWhitespace }) else { continue }
            let c = try parse(line: String(line), location: "\(path):\(n + 1)")
            guard seen.insert(c.id).inserted else { throw EvalCaseError(description: "\(path):\(n + 1): duplicate id \(c.id)") }
            cases.append(c)
        }
        return cases
    }
}

extension EvalExpectation {
    /// Reads an `expect` object (EVAL-FORMAT.md); also used by `parley test`'s golden conversations.
    static func parse(_ e: JSONValue, location: String) throws -> EvalExpectation {
        let fields = EvalFieldReader(location: location)
        func fail(_ why: String) -> EvalCaseError { fields.fail(why) }
        func string(_ v: JSONValue?, _ field: String) throws -> String { try fields.string(v, field) }
        func strings(_ v: JSONValue?, _ field: String) throws -> [String] { try fields.strings(v, field) }
        var expect = EvalExpectation()
        guard e.objectValue != nil else { throw fail("expect must be an object") }
        switch e["tool"] {
        case nil: expect.tool = .unchecked
        case .null?: expect.tool = .noCall
        case let t?:
            let name = try string(t["name"] ?? t["tool"], "expect.tool.name")
            expect.tool = .call(name: name, arguments: t["arguments"] ?? t["args"] ?? .object([]))
        }
        if let groups = e["all_of"] {
            guard let items = groups.arrayValue else { throw fail("expect.all_of must be an array of arrays") }
            expect.allOf = try items.map { g in
                if let s = g.stringValue { return [s] }  // a bare string is a group of one
                return try strings(g, "expect.all_of[]")
            }
        }
        expect.noneOf = try strings(e["none_of"], "expect.none_of")
        if let m = e["max_sentences"] {
            guard let n = m.intValue else { throw fail("expect.max_sentences must be an integer") }
            expect.maxSentences = n
        }
        return expect
    }
}
