import Testing
@testable import NPCRuntime

@Suite struct ToolSchemaTests {
    static let giveItem = """
    {"type": "object", "description": "ignored", "properties": {
      "item": {"type": "string", "enum": ["sword", "key"], "title": "Item"},
      "count": {"type": "integer", "minimum": 1, "maximum": 99},
      "note": {"type": "string", "maxLength": 5},
      "speed": {"type": "number", "minimum": 0.5, "maximum": 3},
      "tags": {"type": "array", "items": {"type": "boolean"}, "maxItems": 2},
      "mood": {"enum": ["calm", 3, true]}},
     "required": ["item", "count"], "additionalProperties": false}
    """

    func schema(_ text: String) throws -> ToolSchema {
        try ToolSchema(json: try JSONParser.parse(text))
    }

    func message(_ text: String) -> String? {
        do { _ = try schema(text); return nil } catch { return error.parleyMessage }
    }

    @Test func parsesTheSubset() throws {
        let s = try schema(Self.giveItem)
        guard case let .object(props) = s else { Issue.record("not an object"); return }
        #expect(props.map(\.name) == ["item", "count", "note", "speed", "tags", "mood"])
        #expect(props.map(\.isRequired) == [true, true, false, false, false, false])
        #expect(props[0].schema == .enumeration([.string("sword"), .string("key")]))
        #expect(props[1].schema == .integer(minimum: 1, maximum: 99))
        #expect(props[2].schema == .string(maxLength: 5))
        #expect(props[3].schema == .number(minimum: 0.5, maximum: 3))
        #expect(props[4].schema == .array(items: .boolean, maxItems: 2))
        #expect(props[5].schema == .enumeration([.string("calm"), .number(3), .bool(true)]))
        // Defaults for open bounds.
        #expect(try schema(#"{"type": "string"}"#) == .string(maxLength: 64))
        #expect(try schema(#"{"type": "array", "items": {"type": "string"}}"#) == .array(items: .string(maxLength: 64), maxItems: 8))
        #expect(try schema(#"{"type": "integer"}"#) == .integer(minimum: -9_999_999_999, maximum: 9_999_999_999))
        #expect(try schema(#"{"type": "integer", "minimum": 0.5, "maximum": 2.5}"#) == .integer(minimum: 1, maximum: 2))
    }

    @Test func rejectsWithPaths() {
        let cases: [(String, String)] = [
            (#"{"type": "object", "properties": {"quest": {"type": "string", "pattern": "a+"}}}"#,
             "parameters.properties.quest: unsupported keyword 'pattern'"),
            (#"{"type": "object", "properties": {"a": {"type": "null"}}}"#, "parameters.properties.a: unsupported type 'null'"),
            (#"{"type": "object", "additionalProperties": true}"#, "parameters: 'additionalProperties' must be false"),
            (#"{"type": "object", "required": ["x"]}"#, "parameters.required: 'x' is not a property"),
            (#"{"type": ["string", "null"]}"#, "parameters: 'type' must be a single type name"),
            (#"{"type": "object", "properties": {"a": {}}}"#, "parameters.properties.a: missing 'type'"),
            (#"{"type": "object", "properties": {"a b": {"type": "string"}}}"#, "parameters.properties.a b: a property name"),
            (#"{"type": "string", "maxLength": -1}"#, "parameters: 'maxLength' must be an integer in 0...4096"),
            (#"{"type": "array", "items": {"type": "string"}, "maxItems": 65}"#, "parameters: 'maxItems' must be an integer in 0...64"),
            (#"{"type": "integer", "minimum": 5, "maximum": 4}"#, "parameters: no integer satisfies"),
            (#"{"type": "string", "enum": ["a", 1]}"#, "parameters.enum: values of a string enum must be strings"),
            (#"{"enum": ["a", "a"]}"#, "parameters.enum: duplicate value"),
            (#"{"enum": []}"#, "parameters.enum: must be a non-empty array"),
            (#"{"enum": ["a\nb"]}"#, "parameters.enum: a value contains a control character"),
            (#"{"enum": [0.0000001]}"#, "parameters.enum: a number has more than 6 decimals"),
            (#"{"type": "array"}"#, "parameters: an array needs 'items'"),
            (#"{"type": "string", "type": "string"}"#, "parameters: duplicate keyword 'type'"),
            (#"[1]"#, "parameters: a schema must be a JSON object"),
        ]
        for (text, expected) in cases {
            let m = message(text)
            #expect(m?.hasPrefix(expected) == true, "\(text) → \(m ?? "accepted")")
        }
    }

    @Test func enforcesSizeBounds() {
        // Depth: 8 levels accepted, 9 rejected, with the path of the deepest level.
        func nested(_ levels: Int) -> String {
            var s = #"{"type": "boolean"}"#
            for _ in 1..<levels { s = #"{"type": "array", "items": \#(s)}"# }
            return s
        }
        #expect(message(nested(8)) == nil)
        #expect(message(nested(9)) == "parameters.items.items.items.items.items.items.items.items: schema nested deeper than 8 levels")
        let props = (0..<33).map { #""p\#($0)": {"type": "boolean"}"# }.joined(separator: ", ")
        #expect(message(#"{"type": "object", "properties": {\#(props)}}"#) == "parameters.properties: 33 properties (limit 32)")
        let values = (0..<65).map { #""v\#($0)""# }.joined(separator: ", ")
        #expect(message(#"{"enum": [\#(values)]}"#) == "parameters.enum: 65 values (limit 64)")
        let big = #"{"type": "string", "description": "\#(String(repeating: "x", count: 17000))"}"#
        #expect(message(big)?.hasPrefix("parameters: schema is 170") == true)
    }

    @Test func validateCatchesEachViolation() throws {
        let s = try schema(Self.giveItem)
        func check(_ args: String) throws -> String? { s.validate(try JSONParser.parse(args)) }
        #expect(try check(#"{"item": "sword", "count": 3}"#) == nil)
        #expect(try check(#"{"item": "key", "count": 99, "note": "hi", "speed": 0.5, "tags": [true], "mood": 3}"#) == nil)
        #expect(try check(#"{"item": "sword"}"#) == "arguments: missing required property 'count'")
        #expect(try check(#"{"item": "axe", "count": 1}"#) == "arguments.item: not one of the allowed values")
        #expect(try check(#"{"item": "sword", "count": 1, "x": 1}"#) == "arguments: unexpected property 'x'")
        #expect(try check(#"{"item": "sword", "count": 1.5}"#) == "arguments.count: expected a whole number")
        #expect(try check(#"{"item": "sword", "count": 100}"#) == "arguments.count: outside 1...99")
        #expect(try check(#"{"item": "sword", "count": "1"}"#) == "arguments.count: expected an integer")
        #expect(try check(#"{"item": "sword", "count": 1, "note": "toolong"}"#) == "arguments.note: longer than 5 characters")
        #expect(try check(#"{"item": "sword", "count": 1, "speed": 3.01}"#) == "arguments.speed: outside 0.5...3")
        #expect(try check(#"{"item": "sword", "count": 1, "tags": [true, false, true]}"#) == "arguments.tags: more than 2 items")
        #expect(try check(#"{"item": "sword", "count": 1, "tags": [1]}"#) == "arguments.tags[0]: expected true or false")
        #expect(try check(#"{"item": "sword", "count": 1, "mood": "3"}"#) == "arguments.mood: not one of the allowed values")
        #expect(try check(#"{"item": "sword", "count": 1, "count": 2}"#) == "arguments: duplicate property 'count'")
        #expect(try check(#"[1]"#) == "arguments: expected an object")
    }

    @Test func toolSpecChecksNameAndDescription() throws {
        let params = #"{"type": "object", "properties": {}}"#
        #expect(try ToolSpec(name: "give_item-2", description: "ok", parametersJSON: params).name == "give_item-2")
        for bad in ["", "2give", "_give", "give item", "giv\u{0435}", "give\u{200B}", String(repeating: "a", count: 65)] {
            #expect(throws: RuntimeError.self, "\(bad.debugDescription)") {
                try ToolSpec(name: bad, description: "", parametersJSON: params)
            }
        }
        // The message shows invisible characters.
        do {
            _ = try ToolSpec(name: "give\u{200B}", description: "", parametersJSON: params)
        } catch {
            #expect(error.message.contains("\\u{200b}"))
        }
        #expect(throws: RuntimeError.self) {
            try ToolSpec(name: "a", description: String(repeating: "x", count: 1025), parametersJSON: params)
        }
        #expect(throws: RuntimeError.self) { try ToolSpec(name: "a", description: "", parametersJSON: #"{"type": "string"}"#) }
        #expect(throws: RuntimeError.self) { try ToolSpec(name: "a", description: "", parametersJSON: "{") }
        do {
            _ = try ToolSpec(name: "quest", description: "", parametersJSON: #"{"type": "object", "properties": {"q": {"type": "string", "format": "x"}}}"#)
            Issue.record("accepted 'format'")
        } catch {
            #expect(error.message == "tool \"quest\": parameters.properties.q: unsupported keyword 'format'")
        }
    }
}
