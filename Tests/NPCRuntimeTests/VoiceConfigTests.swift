import Testing
@testable import NPCRuntime

@Suite struct VoiceConfigTests {
    static let minimal = #"""
    {"audio": {"sample_rate": 16000}, "espeak": {"voice": "en-gb"}, "num_symbols": 10,
     "phoneme_id_map": {"_": [0], "^": [1], "$": [2], " ": [3], "a": [4, 5], "ç": [6]}}
    """#

    func parse(_ text: String) throws(RuntimeError) -> VoiceConfig { try VoiceConfig(json: Array(text.utf8)) }

    @Test func readsAllFieldsWithPiperDefaults() throws {
        let c = try parse(Self.minimal)
        #expect(c.sampleRate == 16000)
        #expect(c.espeakVoice == "en-gb")
        #expect(c.phonemeType == .espeak)
        #expect(c.noiseScale == 0.667)
        #expect(c.lengthScale == 1.0)
        #expect(c.noiseW == 0.8)
        #expect(c.numSymbols == 10)
        #expect(c.numSpeakers == 1)
        #expect(c.speakerIDMap.isEmpty)
        #expect(c.phonemeIDMap["a"] == [4, 5])
        #expect(c.phonemeIDMap.count == 6)
    }

    @Test func readsInferenceSpeakersAndType() throws {
        let c = try parse(#"""
        {"audio": {"sample_rate": 22050}, "espeak": {"voice": "de"}, "num_symbols": 4, "num_speakers": 3,
         "speaker_id_map": {"anna": 0, "ben": 2}, "phoneme_type": "espeak", "language": {"code": "de_DE"},
         "inference": {"noise_scale": 0.5, "length_scale": 1.25, "noise_w": 0.25},
         "phoneme_id_map": {"_": [0], "^": [1], "$": [2]}}
        """#)
        #expect(c.noiseScale == 0.5)
        #expect(c.lengthScale == 1.25)
        #expect(c.noiseW == 0.25)
        #expect(c.numSpeakers == 3)
        #expect(c.speakerIDMap == ["anna": 0, "ben": 2])
        #expect(c.languageCode == "de_DE")
    }

    @Test func rejectsBadConfigsWithVoiceErrors() {
        let bad = [
            "not json",
            "[]",
            #"{"espeak": {"voice": "en"}, "num_symbols": 3, "phoneme_id_map": {"_": [0], "^": [1], "$": [2]}}"#,
            #"{"audio": {"sample_rate": 22050}, "num_symbols": 3, "phoneme_id_map": {"_": [0], "^": [1], "$": [2]}}"#,
            #"{"audio": {"sample_rate": 22050}, "espeak": {"voice": "en"}, "phoneme_id_map": {"_": [0], "^": [1], "$": [2]}}"#,
            #"{"audio": {"sample_rate": 22050}, "espeak": {"voice": "en"}, "num_symbols": 3}"#,
            #"{"audio": {"sample_rate": 22050}, "espeak": {"voice": "en"}, "num_symbols": 3, "phoneme_id_map": {"_": [0], "^": [1]}}"#,
            #"{"audio": {"sample_rate": 22050}, "espeak": {"voice": "en"}, "num_symbols": 3, "phoneme_id_map": {"_": [0], "^": [1], "$": [3]}}"#,
            #"{"audio": {"sample_rate": 22050}, "espeak": {"voice": "en"}, "num_symbols": 3, "phoneme_id_map": {"_": [0], "^": [1], "$": [-1]}}"#,
            #"{"audio": {"sample_rate": 22050}, "espeak": {"voice": "en"}, "num_symbols": 3, "phoneme_id_map": {"_": [], "^": [1], "$": [2]}}"#,
            #"{"audio": {"sample_rate": 22050.5}, "espeak": {"voice": "en"}, "num_symbols": 3, "phoneme_id_map": {"_": [0], "^": [1], "$": [2]}}"#,
            #"{"audio": {"sample_rate": 0}, "espeak": {"voice": "en"}, "num_symbols": 3, "phoneme_id_map": {"_": [0], "^": [1], "$": [2]}}"#,
            #"{"audio": {"sample_rate": 22050}, "espeak": {"voice": "en"}, "num_symbols": 3, "phoneme_type": "pinyin", "phoneme_id_map": {"_": [0], "^": [1], "$": [2]}}"#,
            #"{"audio": {"sample_rate": 22050}, "espeak": {"voice": "en"}, "num_symbols": 3, "inference": {"noise_scale": "x"}, "phoneme_id_map": {"_": [0], "^": [1], "$": [2]}}"#,
            #"{"audio": {"sample_rate": 22050}, "espeak": {"voice": "en"}, "num_symbols": 3, "inference": {"length_scale": 0}, "phoneme_id_map": {"_": [0], "^": [1], "$": [2]}}"#,
            #"{"audio": {"sample_rate": 22050}, "espeak": {"voice": "en"}, "num_symbols": 3, "num_speakers": 2, "speaker_id_map": {"x": 2}, "phoneme_id_map": {"_": [0], "^": [1], "$": [2]}}"#,
        ]
        for text in bad {
            #expect(throws: RuntimeError.self, "\(text)") { try parse(text) }
            do {
                _ = try parse(text)
            } catch {
                #expect(error.kind == .voice)
            }
        }
    }

    @Test func missingFileIsFileNotFound() {
        #expect(throws: RuntimeError.self) { try VoiceConfig(path: "/nonexistent/voice.onnx.json") }
        do {
            _ = try VoiceConfig(path: "/nonexistent/voice.onnx.json")
        } catch {
            #expect(error.kind == .fileNotFound)
        }
    }

    @Test func survivesMutatedConfigs() {
        var rng = SplitMix64(seed: 11)
        let base = Array(Self.minimal.utf8)
        for _ in 0..<2000 {
            var bytes = base
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            _ = try? VoiceConfig(json: bytes)
        }
    }

    @Test(.enabled(if: TestPaths.hasModel("en_US-joe-medium.onnx.json"))) func readsTheJoeVoice() throws {
        let c = try VoiceConfig(path: try #require(TestPaths.model("en_US-joe-medium.onnx.json")))
        #expect(c.sampleRate == 22050)
        #expect(c.espeakVoice == "en-us")
        #expect(c.noiseScale == 0.667)
        #expect(c.lengthScale == 1)
        #expect(c.noiseW == 0.8)
        #expect(c.phonemeType == .espeak)
        #expect(c.numSymbols == 256)
        #expect(c.numSpeakers == 1)
        #expect(c.phonemeIDMap.count == 151)
        #expect(c.phonemeIDMap["ˈ"] == [120])
        #expect(c.phonemeIDMap[" "] == [3])
        #expect(c.languageCode == "en_US")
    }
}
