import Foundation
import Testing
@testable import NPCRuntime

/// Text in, streamed audio and visemes out, through the real voice and espeak-ng.
@Suite("Voice: speech synthesizer", .serialized)
struct SpeechSynthesizerTests {
    static let enabled = Espeak.available && TestPaths.hasModel(VoicePiperTests.voiceName) && TestPaths.hasReference("vits/cases.json")

    static func synthesizer(threads: Int = 1) throws -> SpeechSynthesizer {
        let speech = try SpeechSynthesizer(voicePath: try #require(TestPaths.model(VoicePiperTests.voiceName)), threads: threads)
        speech.scales = VoiceScales(noise: 0, length: 1, noiseW: 0)
        return speech
    }

    @Test("reference case 0 from its text: ids, frames, visemes and audio", .enabled(if: enabled))
    func referenceCaseFromText() throws {
        let speech = try Self.synthesizer()
        #expect(speech.sampleRate == 22050)
        #expect(speech.config.noiseScale == 0.667 && speech.config.noiseW == 0.8)
        let c = try #require(try VoicePiperTests.cases().first)
        let sentences = try speech.sentences(for: "Well met, traveler.")
        let sentence = try #require(sentences.first)
        #expect(sentences.count == 1)
        #expect(sentence.phonemes == VisemeTests.phonemes)
        #expect(sentence.ids == c.ids)

        let stream = try speech.start(sentence)
        var samples: [Float] = []
        while let chunk = stream.next() { samples += chunk.samples }
        #expect(stream.framesPerID == c.framesPerID)
        let mapped = try VisemeTests.spans(sentence.phonemes)
        #expect(stream.visemes == VisemeTimeline.spans(framesPerID: VisemeTests.framesPerID, phonemes: mapped.spans, hopLength: 256))
        #expect(stream.visemes.map(\.viseme) == [.sil, .ou, .E, .nn, .PP, .E, .DD, .sil, .DD, .RR, .aa, .FF, .aa, .nn, .RR, .sil])
        let ref = try TestPaths.loadFloats(TestPaths.referenceFile("vits/" + c.audio))
        let snr = samples.withUnsafeBufferPointer { VoicePiperTests.snr($0, ref) }
        #expect(samples.count == ref.count && snr >= 60, "SNR \(snr) dB")

        let whole = try speech.synthesize(sentence)
        #expect(whole.framesPerID == c.framesPerID && whole.samples.count == samples.count)
    }

    @Test("a finished stream's scratch and workspace serve the next sentence, a live one's do not", .enabled(if: enabled))
    func scratchReuse() throws {
        let speech = try Self.synthesizer(threads: 2)
        let sentences = try speech.sentences(for: "Who goes there? Show yourself... or leave.")
        #expect(sentences.count == 2)
        func drain(_ s: SentenceStream) -> [Float] {
            var out: [Float] = []
            while let chunk = s.next() { out += chunk.samples }
            return out
        }
        let fresh = try SpeechSynthesizer(voicePath: try #require(TestPaths.model(VoicePiperTests.voiceName)))
        fresh.scales = speech.scales
        let expected = try sentences.map { try drain(fresh.start($0)) }

        // The second sentence is the longer one: its scratch is large enough for the first.
        var first: SentenceStream? = try speech.start(sentences[1])
        let id = ObjectIdentifier(try #require(first).scratch), workspace = ObjectIdentifier(try #require(first).workspace)
        #expect(drain(try #require(first)) == expected[1])
        first = nil
        let second = try speech.start(sentences[0])
        #expect(ObjectIdentifier(second.scratch) == id && ObjectIdentifier(second.workspace) == workspace)
        let third = try speech.start(sentences[1])
        #expect(ObjectIdentifier(third.scratch) != id && ObjectIdentifier(third.workspace) != workspace)  // `second` still holds them
        #expect(drain(second) == expected[0])  // reused, unzeroed scratch and maps: same audio
        #expect(drain(third) == expected[1])
    }

    @Test("the same samples for 1, 2 and 3 threads, bit for bit", .enabled(if: enabled))
    func threadCountDoesNotChangeAudio() throws {
        var outputs: [[UInt32]] = []
        for threads in 1...3 {
            let speech = try Self.synthesizer(threads: threads)
            let sentence = try #require(try speech.sentences(for: "The lighthouse went dark forty years ago, love.").first)
            outputs.append(try speech.synthesize(sentence).samples.map(\.bitPattern))
        }
        #expect(outputs[0].count > 22050)
        #expect(outputs[1] == outputs[0])
        #expect(outputs[2] == outputs[0])
    }

    @Test("nothing to say gives no sentences; a missing config is an error", .enabled(if: enabled))
    func edges() throws {
        let speech = try Self.synthesizer()
        #expect(try speech.sentences(for: "   ").isEmpty)
        #expect(throws: RuntimeError.self) { try SpeechSynthesizer(voicePath: "/nonexistent/voice.onnx") }
    }
}
