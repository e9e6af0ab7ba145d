import Testing
@testable import NPCRuntime

/// A stand-in phonemizer: one clause per ", " / ". " / "? " / "! ", words looked
/// up in a table (unknown words become their lowercase letters).
struct TablePhonemizer: Phonemizer {
    var table: [String: String] = ["the": "ðə", "road": "ɹˈoʊd", "to": "tə", "is": "ɪz", "long": "lˈɔŋ",
                                   "hello": "həlˈoʊ", "zorbex": "zˈɔːɹbɛks", "orbex": "ˈɔːɹbɛks", "ç": "ç"]

    func phonemize(_ text: String) throws -> [PhonemeClause] {
        var clauses: [PhonemeClause] = []
        var words: [String] = []
        var source = ""
        var current = ""
        func flush(_ t: ClauseTerminator, _ ends: Bool) {
            if !current.isEmpty { words.append(current); current = "" }
            clauses.append(PhonemeClause(phonemes: words.map(phonemes).joined(separator: " "), terminator: t,
                                         endsSentence: ends, text: source))
            words = []
            source = ""
        }
        for c in text {
            source.append(c)
            switch c {
            case ",": flush(.comma, false)
            case ".": flush(.period, true)
            case "?": flush(.question, true)
            case " ": if !current.isEmpty { words.append(current); current = "" }
            default: current.append(c)
            }
        }
        if !current.isEmpty || !words.isEmpty { flush(.none, true) }
        return clauses
    }

    func phonemes(_ word: String) -> String {
        let lower = word.lowercased()
        if let ipa = table[lower] { return ipa }
        for stand in ["zorbex", "orbex"] where lower.hasPrefix(stand) {
            return table[stand]! + lower.dropFirst(stand.count)
        }
        return lower
    }
}

/// A phonemizer that cannot be lined up with lexicon stand-ins (it drops them).
struct ForgetfulPhonemizer: Phonemizer {
    func phonemize(_ text: String) throws -> [PhonemeClause] {
        let kept = text.split(separator: " ").filter { !$0.lowercased().hasPrefix("zorbex") && !$0.lowercased().hasPrefix("orbex") }
        return [PhonemeClause(phonemes: kept.joined(separator: " "), terminator: .none, endsSentence: true, text: text)]
    }
}

struct FailingPhonemizer: Phonemizer {
    struct Failure: Error {}
    func phonemize(_ text: String) throws -> [PhonemeClause] { throw Failure() }
}

@Suite struct TextToPhonemeIDsTests {
    static let idMap: [String: [Int]] = {
        var map: [String: [Int]] = ["_": [0], "^": [1], "$": [2], " ": [3], ",": [8], ".": [10], "?": [13]]
        for (i, s) in "abcdefghijklmnopqrstuvwxyzæðŋɑɔəɛɪʊɹˈˌːɚ\u{327}".unicodeScalars.enumerated() { map[String(s)] = [20 + i] }
        return map
    }()

    func pipeline(_ phonemizer: any Phonemizer = TablePhonemizer(), lexicon: [String: String] = [:],
                  normalizer: TextNormalizer? = TextNormalizer()) throws -> TextToPhonemeIDs {
        try TextToPhonemeIDs(phonemizer: phonemizer, mapper: PhonemeIDMapper(phonemeIDMap: Self.idMap),
                             normalizer: normalizer, lexicon: PronunciationLexicon(lexicon))
    }

    @Test func oneIdSequencePerSentence() throws {
        let s = try pipeline().sentences(for: "Hello, the road. Is it long?")
        #expect(s.map(\.phonemes) == ["həlˈoʊ, ðə ɹˈoʊd.", "ɪz it lˈɔŋ?"])
        #expect(s.map(\.text) == ["Hello, the road.", "Is it long?"])
        let mapper = try PhonemeIDMapper(phonemeIDMap: Self.idMap)
        #expect(s.map(\.ids) == s.map { mapper.ids(for: $0.phonemes).ids })
        #expect(s[0].ids.first == 1 && s[0].ids.last == 2)
    }

    @Test func anUtteranceIsOneIdSequenceWhateverThePhonemizerSplits() throws {
        let p = try pipeline()
        let u = try #require(try p.utterance(for: "Hello, the road. Is it long?"))
        #expect(u.phonemes == "həlˈoʊ, ðə ɹˈoʊd. ɪz it lˈɔŋ?")
        #expect(u.text == "Hello, the road. Is it long?")
        let mapper = try PhonemeIDMapper(phonemeIDMap: Self.idMap)
        #expect(u.ids == mapper.ids(for: u.phonemes).ids)
        #expect(u.ids.filter { $0 == 1 }.count == 1 && u.ids.first == 1 && u.ids.last == 2)
        // one sentence: the same as `sentences`
        #expect(try p.utterance(for: "The road is long.") == (try p.sentences(for: "The road is long.")).first)
        #expect(try p.utterance(for: "  ") == nil)
    }

    @Test func normalizesBeforePhonemizing() throws {
        let s = try pipeline().sentences(for: "The road is 5 km long.")
        #expect(s.map(\.phonemes) == ["ðə ɹˈoʊd ɪz five kilometers lˈɔŋ."])
        #expect(s.map(\.text) == ["The road is five kilometers long."])
    }

    @Test func emptyAndSilentTextHaveNoSentences() throws {
        #expect(try pipeline().sentences(for: "").isEmpty)
        #expect(try pipeline().sentences(for: "  🎉 ").isEmpty)
    }

    @Test func missingPhonemesAreReported() throws {
        let s = try pipeline().sentences(for: "Hello ç.")
        #expect(s[0].phonemes.unicodeScalars.contains("\u{327}"))
        let plain = try pipeline().sentences(for: "Hello q1.")
        #expect(plain[0].missingPhonemes.isEmpty)
        let odd = try pipeline(normalizer: nil).sentences(for: "Hello ß.")
        #expect(odd[0].missingPhonemes == ["ß"])
    }

    @Test func lexiconWordsKeepTheirSentence() throws {
        let p = try pipeline(lexicon: ["Ashford": "ˈæʃfɚd", "Kell": "kˈɛl"])
        let s = try p.sentences(for: "The road to Ashford, Kell's road, is long.")
        #expect(s.map(\.phonemes) == ["ðə ɹˈoʊd tə ˈæʃfɚd, kˈɛlz ɹˈoʊd, ɪz lˈɔŋ."])
        #expect(s.map(\.text) == ["The road to Ashford, Kell's road, is long."])
    }

    @Test func lexiconFallsBackToRawBlocks() throws {
        let p = try pipeline(ForgetfulPhonemizer(), lexicon: ["Ashford": "ˈæʃfɚd"])
        let s = try p.sentences(for: "go to Ashford now")
        #expect(s.map(\.phonemes) == ["go to ˈæʃfɚd now"])
    }

    @Test func rawPhonemeBlocksAsInPiper() throws {
        let s = try pipeline().sentences(for: "Hello [[ wˈɜːld ]] road. Is it?")
        #expect(s.map(\.phonemes) == ["həlˈoʊ wˈɜːld ɹˈoʊd.", "ɪz it?"])
        let glued = try pipeline().sentences(for: "[[ɑ]]road")
        #expect(glued.map(\.phonemes) == ["ɑɹˈoʊd"])
    }

    @Test func phonemizerErrorsBecomeRuntimeErrors() throws {
        let p = try pipeline(FailingPhonemizer())
        #expect(throws: RuntimeError.self) { try p.sentences(for: "Hello") }
    }

    @Test func possessiveFollowsTheWordsLastSound() {
        #expect(LexiconPlaceholders.possessiveEnding(after: "kˈɛl") == "z")
        #expect(LexiconPlaceholders.possessiveEnding(after: "kˈɪt") == "s")
        #expect(LexiconPlaceholders.possessiveEnding(after: "ˈæʃ") == "ᵻz")
        #expect(LexiconPlaceholders.possessiveEnding(after: "ɹˈoʊz") == "ᵻz")
    }

    @Test func lexiconParsing() throws {
        let lex = try PronunciationLexicon(json: Array(#"{"Ashford": "ˈæʃfɚd", "Xyl'thar": "zˈɪlθɑːɹ"}"#.utf8))
        #expect(lex.count == 2)
        #expect(lex.pronunciation(of: "ASHFORD") == "ˈæʃfɚd")
        let scalars = Array("Xyl'thar met ashford's guard".unicodeScalars)
        #expect(lex.matches(in: scalars).map(\.word) == ["Xyl'thar", "ashford"])
        #expect(lex.matches(in: scalars).map(\.range) == [0..<8, 13..<20])
        #expect(throws: RuntimeError.self) { try PronunciationLexicon(["two words": "x"]) }
        #expect(throws: RuntimeError.self) { try PronunciationLexicon(["word": "  "]) }
        #expect(throws: RuntimeError.self) { try PronunciationLexicon(json: Array(#"{"a": 1}"#.utf8)) }
        #expect(throws: RuntimeError.self) { try PronunciationLexicon(json: Array("[1]".utf8)) }
    }
}
