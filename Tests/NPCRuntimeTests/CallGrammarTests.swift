import Testing
@testable import NPCRuntime

@Suite struct CallGrammarTests {
    static let suffix = "\n</tool_call>"

    static func tools() throws -> [ToolSpec] { try sampleNPCTools() }

    static func grammar() throws -> CallGrammar { try CallGrammar(tools: try tools(), suffix: suffix) }

    @Test func acceptsCanonicalCalls() throws {
        let g = try Self.grammar()
        let calls = [
            #"{"name": "give_item", "arguments": {"item": "sword", "count": 3}}"#,
            #"{"name": "give_item", "arguments": {"item": "health_potion", "count": 99, "note": "for the road \"friend\" \\ é😀"}}"#,
            #"{"name": "set_quest_stage", "arguments": {"quest": "dragon_egg", "stage": 0, "notify": false}}"#,
            #"{"name": "set_quest_stage", "arguments": {"quest": "lost_ring", "stage": 2000}}"#,
            #"{"name": "move_to", "arguments": {"place": ""}}"#,
            #"{"name": "move_to", "arguments": {"place": "mill", "speed": 0.5, "waypoints": []}}"#,
            #"{"name": "move_to", "arguments": {"place": "mill", "speed": 2.125, "waypoints": ["a", "b", "c", "d"]}}"#,
            #"{"name": "move_to", "arguments": {"place": "mill", "waypoints": ["x"]}}"#,
            #"{"name": "move_to", "arguments": {"place": "mill", "speed": 3}}"#,
        ]
        for call in calls {
            #expect(g.accepts(call + Self.suffix), "\(call)")
            #expect(!g.accepts(call), "no suffix: \(call)")
            let parsed = try ParsedCall(text: call + Self.suffix, suffix: Self.suffix)
            #expect(parsed.validate(against: try Self.tools()) == nil, "\(call)")
        }
        let parsed = try ParsedCall(text: calls[0] + Self.suffix, suffix: Self.suffix)
        #expect(parsed.name == "give_item")
        #expect(parsed.arguments == .object([("item", .string("sword")), ("count", .number(3))]))
    }

    @Test func rejectsNearMisses() throws {
        let g = try Self.grammar()
        let misses = [
            #"{"name": "give_items", "arguments": {"item": "sword", "count": 3}}"#,     // wrong tool
            #"{"name": "giv\#u{0435}_item", "arguments": {"item": "sword", "count": 3}}"#, // Cyrillic look-alike
            #"{"name": "give_item", "arguments": {"item": "sword", "count": 3, "x": 1}}"#, // extra property
            #"{"name": "give_item", "arguments": {"item": "sword"}}"#,                   // missing required
            #"{"name": "give_item", "arguments": {"count": 3, "item": "sword"}}"#,         // out of order
            #"{"name": "give_item", "arguments": {"item": "axe", "count": 3}}"#,           // out of enum
            #"{"name": "give_item", "arguments": {"item": "sword", "count": 03}}"#,        // leading zero
            #"{"name": "give_item", "arguments": {"item": "sword", "count": 0}}"#,         // below minimum
            #"{"name": "give_item", "arguments": {"item": "sword", "count": 100}}"#,       // above maximum
            #"{"name": "give_item", "arguments": {"item": "sword", "count": -1}}"#,
            #"{"name": "give_item", "arguments": {"item": "sword", "count": 1.5}}"#,       // integer with fraction
            #"{"name": "give_item", "arguments": {"item": "sword", "count": 3, "note": "abc}}"#, // unterminated string
            #"{"name": "give_item", "arguments": {"item": "sword", "count": 3, "note": "a\nb"}}"#,
            #"{"name": "give_item", "arguments": {"item": "sword", "count": 3, "note": "\u0041"}}"#, // escape outside \" \\
            #"{"name": "give_item", "arguments": {"item": "sword", "count": 3, "note": "\#(String(repeating: "a", count: 41))"}}"#,
            #"{"name": "give_item", "arguments": {"item":"sword", "count": 3}}"#,          // not canonical spacing
            #"{"name": "set_quest_stage", "arguments": {"quest": "lost_ring", "stage": 2001}}"#,
            #"{"name": "set_quest_stage", "arguments": {"quest": "lost_ring", "stage": -0}}"#,
            #"{"name": "set_quest_stage", "arguments": {"quest": "lost_ring", "stage": 1, "notify": 1}}"#,
            #"{"name": "move_to", "arguments": {"place": "m", "speed": 0.4}}"#,
            #"{"name": "move_to", "arguments": {"place": "m", "speed": 3.000001}}"#,
            #"{"name": "move_to", "arguments": {"place": "m", "speed": 1.}}"#,
            #"{"name": "move_to", "arguments": {"place": "m", "speed": 1.1234567}}"#,
            #"{"name": "move_to", "arguments": {"place": "m", "waypoints": ["a", "b", "c", "d", "e"]}}"#,
            #"{"name": "move_to", "arguments": {"place": "m", "waypoints": ["a",]}}"#,
            #"{"name": "move_to", "arguments": {}}"#,
        ]
        for call in misses {
            #expect(!g.accepts(call + Self.suffix), "\(call)")
        }
        // A complete call takes nothing more.
        var done = g
        let ok1 = done.advance(Array((#"{"name": "move_to", "arguments": {"place": "m"}}"# + Self.suffix).utf8))
        #expect(ok1)
        #expect(done.isComplete)
        let ok2 = done.advance(UInt8(ascii: " "))
        #expect(!ok2)
        #expect(done.isComplete)
    }

    @Test func advanceLeavesStateOnRefusal() throws {
        var h = try Self.grammar()
        let ok3 = h.advance(Array(#"{"name": "give_item", "arguments": {"item": "axe"#.utf8))
        #expect(!ok3)
        let ok4 = h.advance(UInt8(ascii: "{"))  // the refused run left nothing behind
        #expect(ok4)
        let ok5 = h.advance(Array(#""name": "give_item", "arguments": {"item": "sword", "count": 10"#.utf8))
        #expect(ok5)
        let ok6 = h.advance(UInt8(ascii: "0"))   // 100 > 99
        #expect(!ok6)
        #expect(h.isAlive)
        let ok7 = h.advance(Array(#"}}"#.utf8))  // 10 still ends fine
        #expect(ok7)
        let ok8 = h.advance(Array(Self.suffix.utf8))
        #expect(ok8 && h.isComplete)
    }

    @Test func enforcesIntegerRangesDigitByDigit() throws {
        let spec = try ToolSpec(name: "t", description: "", parametersJSON:
            #"{"type": "object", "properties": {"n": {"type": "integer", "minimum": -15, "maximum": 250}}, "required": ["n"]}"#)
        let g = try CallGrammar(tools: [spec], suffix: "")
        var accepted: [Int] = []
        for n in -1000...1000 where g.accepts(#"{"name": "t", "arguments": {"n": \#(n)}}"#) { accepted.append(n) }
        #expect(accepted == Array(-15...250))
        // Dead prefixes are refused at the digit, not at the end.
        func after(_ prefix: String) -> CallGrammar {
            var p = g
            let ok9 = p.advance(Array((#"{"name": "t", "arguments": {"n": "# + prefix).utf8))
            #expect(ok9)
            return p
        }
        let minus = after("-")
        #expect(!minus.allows(UInt8(ascii: "0")) && minus.allows(UInt8(ascii: "2")))   // no "-0"
        let minusOne = after("-1")
        #expect(!minusOne.allows(UInt8(ascii: "6")) && minusOne.allows(UInt8(ascii: "5")))  // -16 < -15
        let thirty = after("30")
        #expect(!thirty.allows(UInt8(ascii: "0")) && thirty.allows(UInt8(ascii: "}")))  // 300 > 250
        let three = after("3")
        #expect(three.allows(UInt8(ascii: "0")))
        let zero = after("0")
        #expect(!zero.allows(UInt8(ascii: "1")) && zero.allows(UInt8(ascii: "}")))
    }

    @Test func numberEnumPrefixes() throws {
        let spec = try ToolSpec(name: "t", description: "", parametersJSON:
            #"{"type": "object", "properties": {"n": {"enum": [1, 12, 2.5, "a\"b"]}, "b": {"type": "boolean"}}, "required": ["n", "b"]}"#)
        let g = try CallGrammar(tools: [spec], suffix: "</call>")
        for value in ["1", "12", "2.5", #""a\"b""#] {
            #expect(g.accepts(#"{"name": "t", "arguments": {"n": \#(value), "b": true}}</call>"#), "\(value)")
        }
        for value in ["2", "13", "2.50", #""a"b""#, "01"] {
            #expect(!g.accepts(#"{"name": "t", "arguments": {"n": \#(value), "b": true}}</call>"#), "\(value)")
        }
    }

    @Test func rejectsBadGrammarInput() throws {
        #expect(throws: RuntimeError.self) { try CallGrammar(tools: [], suffix: "") }
        let t = try Self.tools()
        #expect(throws: RuntimeError.self) { try CallGrammar(tools: [t[0], t[0]], suffix: "") }
        #expect(throws: RuntimeError.self) { try CallGrammar(tools: t, suffix: String(repeating: "x", count: 65)) }
    }

    @Test func survivesRandomBytesAndTruncations() throws {
        let g = try Self.grammar()
        var rng = SplitMix64(seed: 7)
        let valid = Array((#"{"name": "move_to", "arguments": {"place": "é mill", "speed": 1.25, "waypoints": ["a"]}}"# + Self.suffix).utf8)
        var alive = 0
        for round in 0..<2000 {
            var s = g
            let n = Int(rng.next() % 96)
            // Half the strings start with a valid prefix, so the fuzz gets past the tool name.
            let keep = round % 2 == 0 ? Int(rng.next() % UInt64(valid.count)) : 0
            var ok = s.advance(valid[0..<keep])
            for _ in 0..<n {
                let b = UInt8(truncatingIfNeeded: rng.next())
                ok = s.advance(b) && ok
            }
            if s.isAlive { alive += 1 }
            _ = s.isComplete
        }
        #expect(alive == 2000)  // advance never kills the state
        for k in 0...valid.count {
            var s = g
            let ok10 = s.advance(valid[0..<k])
            #expect(ok10)
            #expect(s.isComplete == (k == valid.count))
            // step (the mask's path) kills the state on a bad byte and stays dead.
            var t = s
            if !t.step(0x01) {
                let again = t.step(UInt8(ascii: "{"))
                #expect(!t.isAlive && !again)
            }
        }
    }
}
