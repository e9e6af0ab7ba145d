import Testing
@testable import NPCRuntime

/// A reply says only the figures its prompt holds, in either spelling.
@Suite struct GroundedFiguresTests {
    @Test func figuresOfATextInBothSpellings() {
        let (words, digits) = GroundedFigures.figures(in: "A bed costs two silver; the inn stood two hundred and five years. Gate 14 shuts at 9.")
        #expect(words.isSuperset(of: ["two", "hundred", "five", "fourteen", "nine"]))
        #expect(digits.isSuperset(of: ["2", "205", "14", "9"]))
        #expect(!words.contains("seven"))
        #expect(!digits.contains("7"))
        #expect(GroundedFigures.value(of: ["ninety"]) == 90)
        #expect(GroundedFigures.value(of: ["twenty", "two"]) == 22)
        #expect(GroundedFigures.value(of: ["three", "thousand", "two", "hundred"]) == 3200)
        #expect(GroundedFigures.value(of: ["gold"]) == nil)
        // typed by a player: too large for 64 bits is no figure, not a trap
        #expect(GroundedFigures.value(of: Array(repeating: "hundred", count: 12)) == nil)
        #expect(GroundedFigures.value(of: Array(repeating: "million", count: 4)) == 4_000_000)
        #expect(GroundedFigures.value(of: ["nine"] + Array(repeating: "hundred", count: 9) + ["million"]) == nil)
        _ = GroundedFigures.figures(in: String(repeating: "hundred ", count: 40))
        #expect(GroundedUnits.pairs(in: String(repeating: "hundred ", count: 40) + "silver").allSatisfy { $0.1 == "silver" })
    }

    /// Vocabulary: 0 " two", 1 " seven", 2 "1", 3 "2", 4 "5", 5 " One", 6 " silver", 7 "3rd", 8 stop.
    let figureTokens = FigureTokens(pieces: [(0, Array(" two".utf8)), (1, Array(" seven".utf8)), (2, Array("1".utf8)),
                                             (3, Array("2".utf8)), (4, Array("5".utf8)), (5, Array(" One".utf8)),
                                             (6, Array(" silver".utf8)), (7, Array("3rd".utf8)), (8, Array("</s>".utf8))])

    @Test func tokensThatSpellFigures() {
        let ids = Set(figureTokens.figures.map(\.id))
        #expect(ids == [0, 1, 2, 3, 4, 7], "\"one\" is a pronoun too; words that are not figures are free")
    }

    func processed(_ ground: String, reply: [Int32]) -> [Float] {
        let rule = GroundedFigures(tokens: figureTokens, groundedIn: ground, promptCount: 4)
        var logits = [Float](repeating: 1, count: 9)
        logits.withUnsafeMutableBufferPointer { rule.process($0, history: ArraySlice([8, 8, 8, 8] + reply)) }
        return logits
    }

    @Test func inventedFiguresCannotBeSaid() {
        let l = processed("A room costs 12 silver, or two with supper.", reply: [])
        #expect(l[0] == 1, "two is in the lore")
        #expect(l[1] == -.infinity, "seven is not")
        #expect(l[2] == 1, "1 starts 12")
        #expect(l[3] == 1, "2 is the spoken form of two")
        #expect(l[4] == -.infinity, "5 is nowhere")
        #expect(l[5] == 1 && l[6] == 1 && l[8] == 1)
        #expect(l[7] == -.infinity, "3rd")
    }

    @Test func digitsContinueOnlyAGroundedNumber() {
        let afterOne = processed("A room costs 12 silver.", reply: [2])
        #expect(afterOne[3] == 1, "12")
        #expect(afterOne[4] == -.infinity, "15 is not in the lore")
        #expect(afterOne[2] == -.infinity, "11 is not either")
        #expect(afterOne[6] == -.infinity && afterOne[8] == -.infinity, "a figure does not stop at 1 of 12")
        let afterWord = processed("A room costs 12 silver.", reply: [2, 6])
        #expect(afterWord[2] == 1, "a new number may start after a word")
    }

    @Test func theConversationGroundsFiguresToo() {
        let l = processed("The player said: I have seven coins.", reply: [])
        #expect(l[1] == 1)
    }
}
