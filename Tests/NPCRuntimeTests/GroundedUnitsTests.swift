import Testing
@testable import NPCRuntime

/// A figure is said with the units the prompt gives it: "one copper" and "two
/// silver" do not make "one silver".
@Suite struct GroundedUnitsTests {
    @Test func pairsOfAFigureAndTheWordAfterIt() {
        let pairs = GroundedUnits.pairs(in: "A song costs one copper; a new song costs 2 silver. The bridge stood two hundred and five years, and eleven miners drowned.")
        let set = Set(pairs.map { "\($0.0) \($0.1)" })
        #expect(set == ["1 copper", "2 silver", "205 year", "11 miner"])
    }

    @Test func theFigureAReplyEndsWith() {
        #expect(GroundedUnits.trailingFigure("It costs two") == 2)
        #expect(GroundedUnits.trailingFigure("It costs 12") == 12)
        #expect(GroundedUnits.trailingFigure("It stood two hundred and five") == 205)
        #expect(GroundedUnits.trailingFigure("Only one") == 1)
        #expect(GroundedUnits.trailingFigure("It costs two ") == nil, "a word has started after it")
        #expect(GroundedUnits.trailingFigure("It is cheap") == nil)
    }

    @Test(.enabled(if: TestPaths.hasModel("smollm2-135m-instruct-q4_1.gguf")))
    func aUnitFollowsOnlyTheValuesThePromptGivesIt() throws {
        let tokenizer = try Tokenizer(gguf: try GGUFFile(path: try #require(TestPaths.model("smollm2-135m-instruct-q4_1.gguf"))))
        let prompt = tokenizer.encode("She sings any song for one copper; a new song costs two silver.", addSpecial: false, parseSpecial: false)
        let rule = GroundedUnits(tokenizer: tokenizer, common: GroundedUnits.commonTokens(tokenizer), groundedIn: "She sings any song for one copper; a new song costs two silver.",
                                 promptCount: prompt.count)
        func next(after reply: String) -> [Float] {
            var logits = [Float](repeating: 0, count: tokenizer.vocabSize)
            let history = prompt + tokenizer.encode(reply, addSpecial: false, parseSpecial: false)
            logits.withUnsafeMutableBufferPointer { rule.process($0, history: history[...]) }
            return logits
        }
        func token(_ text: String) throws -> Int32 {
            let ids = tokenizer.encode(text, addSpecial: false, parseSpecial: false)
            try #require(ids.count == 1, "\(text) is one token in this vocabulary")
            return ids[0]
        }
        let silver = try token(" silver"), copper = try token(" copper"), miles = try token(" miles"), coins = try token(" coins")
        let one = next(after: "It is one")
        #expect(one[Int(copper)] == 0 && one[Int(silver)] == -.infinity)
        let two = next(after: "That is 2")
        #expect(two[Int(silver)] == 0 && two[Int(copper)] == -.infinity && two[Int(miles)] == -.infinity)
        #expect(two[Int(coins)] == -.infinity, "a common unit the prompt never gives a value")
        // no figure at the end: nothing is touched
        #expect(next(after: "The silver").allSatisfy { $0 == 0 })
    }
}
