import Testing
@testable import NPCRuntime

/// Piper's terminator from the text espeak-ng 1.51 consumed (no espeak needed).
@Suite struct EspeakClauseEndTests {
    func end(_ clause: String, _ next: Unicode.Scalar?) -> EspeakClauseEnd {
        EspeakClauseEnd(clause: clause[...], next: next)
    }

    @Test func plainMarks() {
        #expect(end("Well met, ", "t") == EspeakClauseEnd(terminator: .comma, endsSentence: false))
        #expect(end("Who goes there? ", "S") == EspeakClauseEnd(terminator: .question, endsSentence: true))
        #expect(end("traveler.", nil) == EspeakClauseEnd(terminator: .period, endsSentence: true))
        #expect(end("coins!", nil) == EspeakClauseEnd(terminator: .exclamation, endsSentence: true))
        #expect(end("Now: ", "g") == EspeakClauseEnd(terminator: .colon, endsSentence: false))
        #expect(end("go; ", "o") == EspeakClauseEnd(terminator: .semicolon, endsSentence: false))
        #expect(end("Hi,", nil) == EspeakClauseEnd(terminator: .comma, endsSentence: false))
    }

    @Test func firstMarkOfARunDecides() {
        #expect(end("Stop!? ", "N") == EspeakClauseEnd(terminator: .exclamation, endsSentence: true))
        #expect(end("What?! ", "N") == EspeakClauseEnd(terminator: .question, endsSentence: true))
        #expect(end("Done.. ", "N") == EspeakClauseEnd(terminator: .period, endsSentence: true))
        #expect(end("Yes,. ", "N") == EspeakClauseEnd(terminator: .comma, endsSentence: false))
    }

    @Test func ellipsisAndDashesAndParagraphs() {
        #expect(end("Show yourself... ", "o") == EspeakClauseEnd(terminator: .none, endsSentence: false))
        #expect(end("Show yourself… ", "o") == EspeakClauseEnd(terminator: .none, endsSentence: false))
        #expect(end("Wait — ", "w") == EspeakClauseEnd(terminator: .semicolon, endsSentence: false))
        #expect(end("Line one\n\n", "L") == EspeakClauseEnd(terminator: .none, endsSentence: true))
        #expect(end("Line one.\n\n", "L") == EspeakClauseEnd(terminator: .none, endsSentence: true))
        #expect(end("Hi", nil) == EspeakClauseEnd(terminator: .none, endsSentence: true))
    }

    @Test func quotesAndBracketsCloseAClause() {
        #expect(end("He said \"Go.", "\"") == EspeakClauseEnd(terminator: .period, endsSentence: true))
        #expect(end("(Really?", ")") == EspeakClauseEnd(terminator: .question, endsSentence: true))
    }

    @Test func unspacedFullWidthMarksAddNothing() {
        #expect(end("你好。", "我") == EspeakClauseEnd(terminator: .none, endsSentence: true))
        #expect(end("你好，", "我") == EspeakClauseEnd(terminator: .none, endsSentence: false))
    }

    @Test func aBufferBreakIsNotPunctuation() {
        // espeak cut a long clause after "a," with no space after it: not a comma clause.
        #expect(end("a,", "b") == EspeakClauseEnd(terminator: .none, endsSentence: false))
        #expect(end("long words ", "x") == EspeakClauseEnd(terminator: .none, endsSentence: false))
    }

    @Test func punctuationBeforeAnyWordIsIgnored() {
        #expect(end("?", nil) == EspeakClauseEnd(terminator: .none, endsSentence: true))
        #expect(end("... ", "x") == EspeakClauseEnd(terminator: .none, endsSentence: false))
    }

    @Test func clauseTypesFromEspeak152() {
        #expect(EspeakClauseEnd(clauseType: 40 | 0x80000) == EspeakClauseEnd(terminator: .period, endsSentence: true))
        #expect(EspeakClauseEnd(clauseType: 40 | 0x80000 | 0x400000) == EspeakClauseEnd(terminator: .period, endsSentence: true))
        #expect(EspeakClauseEnd(clauseType: 40 | 0x2000 | 0x80000) == EspeakClauseEnd(terminator: .question, endsSentence: true))
        #expect(EspeakClauseEnd(clauseType: 45 | 0x3000 | 0x80000) == EspeakClauseEnd(terminator: .exclamation, endsSentence: true))
        #expect(EspeakClauseEnd(clauseType: 20 | 0x1000 | 0x40000) == EspeakClauseEnd(terminator: .comma, endsSentence: false))
        #expect(EspeakClauseEnd(clauseType: 30 | 0x40000) == EspeakClauseEnd(terminator: .colon, endsSentence: false))
        #expect(EspeakClauseEnd(clauseType: 30 | 0x1000 | 0x40000) == EspeakClauseEnd(terminator: .semicolon, endsSentence: false))
        // End of text: the EOF type bit is inside Piper's mask, so nothing is appended.
        #expect(EspeakClauseEnd(clauseType: 40 | 0x80000 | 0x10000) == EspeakClauseEnd(terminator: .none, endsSentence: true))
        // Ellipsis: semicolon with "optional space" and "speak name" flags.
        #expect(EspeakClauseEnd(clauseType: 30 | 0x1000 | 0x40000 | 0x8000 | 0x200000) == EspeakClauseEnd(terminator: .none, endsSentence: false))
    }

    @Test func survivesArbitraryText() {
        var rng = SplitMix64(seed: 3)
        let alphabet = Array("ab .,?!:;…—\n\"()。".unicodeScalars)
        for _ in 0..<2000 {
            var s = String.UnicodeScalarView()
            for _ in 0..<Int(rng.next() % 12) { s.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
            let next: Unicode.Scalar? = rng.next() % 2 == 0 ? nil : alphabet[Int(rng.next() % UInt64(alphabet.count))]
            _ = EspeakClauseEnd(clause: String(s)[...], next: next)
        }
    }
}
