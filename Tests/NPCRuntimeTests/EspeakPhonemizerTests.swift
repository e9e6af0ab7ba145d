import Foundation
import Testing
@testable import NPCRuntime

/// The dlopen'd espeak-ng: runs where libespeak-ng can be loaded (CI installs it).
@Suite(.enabled(if: Espeak.available)) struct EspeakPhonemizerTests {
    let espeak: EspeakPhonemizer

    init() throws { espeak = try EspeakPhonemizer(voice: "en-us") }

    /// `espeak-ng -q --ipa -v en-us TEXT`: one line per clause.
    static func commandLine(_ text: String) throws -> [String]? {
        let binary = ["/usr/bin/espeak-ng", "/usr/local/bin/espeak-ng"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let binary else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-q", "--ipa", "-v", "en-us", text]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
    }

    @Test func clausesMatchTheCommandLineOnUnseenSentences() throws {
        let sentences = [
            "The blacksmith's forge burns day and night, and the anvil rings until dawn.",
            "Three hundred soldiers marched north; nobody returned.",
            "Is it true? I heard the dragon sleeps beneath Mount Ember!",
            "Keep your coin, stranger: the road ahead is long.",
            "A wizard's tower stands at the edge of the Whispering Woods.",
        ]
        for text in sentences {
            guard let expected = try Self.commandLine(text) else { return }
            let clauses = try espeak.phonemize(text)
            #expect(clauses.map(\.phonemes) == expected, "\(text)")
            #expect(clauses.map(\.text).joined() == text)
        }
    }

    @Test func clauseEndsAsPiperReportsThem() throws {
        let clauses = try espeak.phonemize("Keep your coin, stranger: the road ahead is long. Who goes there? Run!")
        #expect(clauses.map(\.terminator) == [.comma, .colon, .period, .question, .exclamation])
        #expect(clauses.map(\.endsSentence) == [false, false, true, true, true])
        #expect(clauses.map(\.text) == ["Keep your coin, ", "stranger: ", "the road ahead is long. ", "Who goes there? ", "Run!"])
        let trailing = try espeak.phonemize("Hi,")
        #expect(trailing == [PhonemeClause(phonemes: "hˈaɪ", terminator: .comma, endsSentence: false, text: "Hi,")])
        let bare = try espeak.phonemize("Hello there")
        #expect(bare == [PhonemeClause(phonemes: "həlˈoʊ ðˈɛɹ", terminator: .none, endsSentence: true, text: "Hello there")])
        #expect(try espeak.phonemize("   ").isEmpty)
        // Windows line ends are one line break, not a paragraph.
        #expect(try espeak.phonemize("Hello there\r\nfriend").count == 1)
        #expect(try espeak.phonemize("Hello there\n\nfriend").count == 2)
    }

    @Test func sentencesSplitAsInPiper() throws {
        let config = VoiceConfig(sampleRate: 22050, espeakVoice: "en-us",
                                 phonemeIDMap: ["_": [0], "^": [1], "$": [2]], numSymbols: 3)
        let pipeline = try TextToPhonemeIDs(config: config, normalizer: nil)
        let s = try pipeline.sentences(for: "Wait — what? Line one\n\nLine two, then three")
        #expect(s.map(\.phonemes) == ["wˈeɪt; wˌʌt?", "lˈaɪn wˌʌn", "lˈaɪn tˈuː, ðˈɛn θɹˈiː"])
    }

    @Test func normalizationKeepsAbbreviationsInTheirSentence() throws {
        let config = VoiceConfig(sampleRate: 22050, espeakVoice: "en-us",
                                 phonemeIDMap: ["_": [0], "^": [1], "$": [2]], numSymbols: 3)
        let raw = try TextToPhonemeIDs(config: config, normalizer: nil).sentences(for: "Ask Dr. Hale for $3.50.")
        let normalized = try TextToPhonemeIDs(config: config).sentences(for: "Ask Dr. Hale for $3.50.")
        #expect(raw.count == 2)
        #expect(normalized.count == 1)
        #expect(normalized.first?.text == "Ask Doctor Hale for three dollars and fifty cents.")
    }

    @Test func lexiconKeepsTheWordsAroundIt() throws {
        let config = VoiceConfig(sampleRate: 22050, espeakVoice: "en-us",
                                 phonemeIDMap: ["_": [0], "^": [1], "$": [2]], numSymbols: 3)
        let lexicon = try PronunciationLexicon(["Ashford": "ˈæʃfɔːd", "Kell": "kˈɛl"])
        let pipeline = try TextToPhonemeIDs(config: config, lexicon: lexicon)
        let s = try pipeline.sentences(for: "The road to Ashford, where Kell's hall stands.")
        // "to" before a vowel stays "tʊ", the comma stays a comma, the possessive stays.
        #expect(s.map(\.phonemes) == ["ðə ɹˈoʊd tʊ ˈæʃfɔːd, wˌɛɹ kˈɛlz hˈɔːl stˈændz."])
        #expect(s.map(\.text) == ["The road to Ashford, where Kell's hall stands."])
    }

    @Test func concurrentCallsAreSerialized() async throws {
        let texts = (0..<16).map { "Guard number \($0), hold the gate until dawn." }
        let expected = try texts.map { try espeak.phonemize($0) }
        let phonemizer = espeak
        let results = try await withThrowingTaskGroup(of: (Int, [PhonemeClause]).self) { group in
            for (i, t) in texts.enumerated() { group.addTask { (i, try phonemizer.phonemize(t)) } }
            var out = [[PhonemeClause]](repeating: [], count: texts.count)
            for try await (i, r) in group { out[i] = r }
            return out
        }
        #expect(results == expected)
    }

    @Test func voicesSwitchPerPhonemizer() throws {
        let german = try EspeakPhonemizer(voice: "de")
        let de = try german.phonemize("Guten Tag")
        let en = try espeak.phonemize("Guten Tag")
        #expect(de != en)
        #expect(try german.phonemize("Guten Tag") == de)
    }

    @Test func unknownVoiceIsAVoiceError() {
        do {
            _ = try EspeakPhonemizer(voice: "no-such-voice-xx")
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .voice)
        }
    }

    @Test func languageSwitchMarksAreRemoved() {
        #expect(EspeakPhonemizer.removeLanguageSwitches("(fr)bɔ̃ʒuːʁ(en) ænd") == "bɔ̃ʒuːʁ ænd")
        #expect(EspeakPhonemizer.removeLanguageSwitches("a()b") == "a()b")
    }
}

@Suite struct EspeakLoadingTests {
    @Test func aMissingLibraryNamesThePackage() {
        do {
            _ = try EspeakLibrary.load(dataPath: nil, names: ["libespeak-ng-missing.so.9"])
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .phonemizerUnavailable)
            #expect(error.message.contains("libespeak-ng1"))
            #expect(error.message.contains("espeak-ng-data"))
        }
    }
}
