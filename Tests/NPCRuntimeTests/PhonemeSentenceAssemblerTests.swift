import Testing
@testable import NPCRuntime

@Suite struct PhonemeSentenceAssemblerTests {
    func clause(_ p: String, _ t: ClauseTerminator, _ ends: Bool, _ text: String = "") -> PhonemeClause {
        PhonemeClause(phonemes: p, terminator: t, endsSentence: ends, text: text)
    }

    @Test func joinsClausesLikePiper() {
        var a = PhonemeSentenceAssembler()
        a.append(clauses: [clause("wˈɛl mˈɛt", .comma, false, "Well met, "), clause("tɹˈævəlɚ", .period, true, "traveler.")])
        #expect(a.finish() == [.init(text: "Well met, traveler.", phonemes: "wˈɛl mˈɛt, tɹˈævəlɚ.")])
    }

    @Test func splitsAtSentenceEnds() {
        var a = PhonemeSentenceAssembler()
        a.append(clauses: [clause("hˌuː", .question, true, "Who? "), clause("ʃˈoʊ", .none, false, "Show... "),
                           clause("ɔːɹ", .period, true, "or.")])
        #expect(a.finish().map(\.phonemes) == ["hˌuː?", "ʃˈoʊɔːɹ."])
        #expect(a.finish().map(\.text) == ["Who?", "Show... or."])
    }

    @Test func colonAndSemicolonKeepASpaceAndEmptySentencesDrop() {
        var a = PhonemeSentenceAssembler()
        a.append(clauses: [clause("a", .colon, false), clause("b", .semicolon, false), clause("", .none, true),
                           clause("", .none, true)])
        #expect(a.finish().map(\.phonemes) == ["a: b; "])
    }

    @Test func decomposesToNFD() {
        var a = PhonemeSentenceAssembler()
        a.append(clauses: [clause("ç", .none, true)])
        #expect(Array(a.finish()[0].phonemes.unicodeScalars) == ["c", "\u{327}"])
    }

    @Test func rawBlocksJoinTheSentenceAroundThem() {
        // Piper: "Hello [[ hˈɛloʊ ]] world. Bye." → one sentence with the block, then "Bye."
        var a = PhonemeSentenceAssembler()
        a.append(clauses: [clause("hˈɛloʊ", .none, true, "Hello ")])
        a.appendRaw(" bˈɑː ", source: "[[ bˈɑː ]]", spaceBefore: true, spaceAfter: true)
        a.append(clauses: [clause("wˈɜːld", .period, true, " world. "), clause("bˈaɪ", .period, true, "Bye.")])
        #expect(a.finish().map(\.phonemes) == ["hˈɛloʊ bˈɑː wˈɜːld.", "bˈaɪ."])
        #expect(a.finish().map(\.text) == ["Hello [[ bˈɑː ]] world.", "Bye."])
    }

    @Test func aLeadingRawBlockStartsASentence() {
        var a = PhonemeSentenceAssembler()
        a.appendRaw("ɐ", source: "[[ɐ]]", spaceBefore: false, spaceAfter: false)
        #expect(a.finish().map(\.phonemes) == ["ɐ"])
    }
}
