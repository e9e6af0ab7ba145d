import Testing
@testable import NPCRuntime

/// The values a player names narrow the call's schema; what the line does not
/// name stays open, and the narrowed schema still validates against the tool.
@Suite struct ArgumentGroundingTests {
    static let shop = try? ToolSpec(name: "sell_goods", description: "Sell the player goods.", parametersJSON: #"""
        {"type":"object","properties":{
          "item":{"type":"string","enum":["iron_pot","copper_pot","lamp_oil","candle"]},
          "count":{"type":"integer","minimum":1,"maximum":12},
          "gift_wrap":{"type":"boolean"},
          "extras":{"type":"array","items":{"type":"string","enum":["string","wax","matches"]}},
          "note":{"type":"string"}},
         "required":["item","count"],"additionalProperties":false}
        """#)

    func schema(_ line: String, context: String = "") throws -> [String: ToolSchema] {
        let tool = try #require(Self.shop)
        guard case .object(let properties) = ArgumentGrounding.narrow(tool, line: line, context: context).parameters else {
            Issue.record("not an object")
            return [:]
        }
        return Dictionary(uniqueKeysWithValues: properties.map { ($0.name, $0.schema) })
    }

    @Test func namedValuesAndNumbersNarrowTheSchema() throws {
        let s = try schema("Sell me three copper pots, please.")
        #expect(s["item"] == .enumeration([.string("copper_pot")]))
        #expect(s["count"] == .enumeration([.number(3)]))
        #expect(s["gift_wrap"] == .boolean)
        #expect(s["note"] == .string(maxLength: ToolSchema.defaultMaxLength))
    }

    @Test func aPartlyNamedValueBeatsNoneAndTiesStayOpenToTheModel() throws {
        #expect(try schema("A pot, please.")["item"] == .enumeration([.string("iron_pot"), .string("copper_pot")]))
        #expect(try schema("A pot, please.")["count"] == .enumeration([.number(1)]), "'a' is one when no number is said")
        #expect(try schema("Some oil for the lamp.")["item"] == .enumeration([.string("lamp_oil")]))
    }

    @Test func anArticleIsOneOnlyForARequiredInteger() throws {
        let tool = try #require(try? ToolSpec(name: "buy_goods", description: "Buy something from the player.", parametersJSON:
            #"{"type":"object","properties":{"item":{"type":"string"},"price":{"type":"integer","minimum":1,"maximum":100}},"required":["item"]}"#))
        guard case .object(let properties) = ArgumentGrounding.narrow(tool, line: "Will you buy a lantern?", context: "").parameters else {
            Issue.record("not an object")
            return
        }
        #expect(properties.first { $0.name == "price" }?.schema == .integer(minimum: 1, maximum: 100))
    }

    @Test func numbersOutOfRangeOrUnsaidLeaveTheIntegerOpen() throws {
        #expect(try schema("Forty candles.")["count"] == .integer(minimum: 1, maximum: 12))
        #expect(try schema("Candles.")["count"] == .integer(minimum: 1, maximum: 12))
        #expect(try schema("Candles.")["item"] == .enumeration([.string("candle")]))
        #expect(try schema("12 candles")["count"] == .enumeration([.number(12)]))
        #expect(try schema("Eleven candles and one pot.")["count"] == .enumeration([.number(11), .number(1)]))
    }

    @Test func theExchangeBeforeNamesWhatTheLineOnlyPointsAt() throws {
        let s = try schema("Fine, I'll take two of them.", context: "What's in the crate?\nLamp oil, fresh from the coast.")
        #expect(s["item"] == .enumeration([.string("lamp_oil")]))
        #expect(s["count"] == .enumeration([.number(2)]))
        // the line's own words win over the exchange's
        #expect(try schema("The candle.", context: "Lamp oil?")["item"] == .enumeration([.string("candle")]))
    }

    @Test func anArrayHoldsNoMoreThanTheNamedValues() throws {
        let s = try schema("A candle with wax and matches.")
        #expect(s["extras"] == .array(items: .enumeration([.string("wax"), .string("matches")]), maxItems: 2))
    }

    @Test func aCallUnderTheNarrowedSchemaValidatesAgainstTheTool() throws {
        let tool = try #require(Self.shop)
        let narrowed = ArgumentGrounding.narrow(tool, line: "Two iron pots.", context: "")
        let grammar = try CallGrammar(tools: [narrowed], suffix: ToolFormat.callSuffix)
        let call = #"{"name": "sell_goods", "arguments": {"item": "iron_pot", "count": 2}}"# + ToolFormat.callSuffix
        #expect(grammar.accepts(call))
        #expect(!grammar.accepts(#"{"name": "sell_goods", "arguments": {"item": "candle", "count": 2}}"# + ToolFormat.callSuffix))
        let parsed = try ParsedCall(text: call, suffix: ToolFormat.callSuffix)
        #expect(parsed.validate(against: [tool]) == nil)
    }
}
