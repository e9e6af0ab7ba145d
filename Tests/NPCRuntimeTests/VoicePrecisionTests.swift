import Foundation
import Testing
@testable import NPCRuntime

/// The joe voice with VoicePrecision.int16 against the exact voice and Piper, on the reference
/// cases: the durations are the same (the text encoder and duration predictor stay float),
/// the audio close; streamed close to whole (each window has its own input scale).
/// Intelligibility (Whisper) is measured by bench/voice-precision.py, not here.
@Suite(.serialized) struct VoicePrecisionTests {
    static let enabled = VoiceStreamTests.enabled

    static let loaded: Result<PiperVoice, RuntimeError> = {
        guard let path = TestPaths.model(VoicePiperTests.voiceName) else { return .failure(RuntimeError(.fileNotFound, "voice not found")) }
        return Result { () throws(RuntimeError) in try PiperVoice(onnxPath: path, precision: .int16) }
    }()

    @Test("int16: same durations, ≥ 25 dB of the exact voice and of Piper, streamed ≥ 30 dB of whole", .enabled(if: enabled))
    func closeToTheExactVoice() throws {
        let fast = try Self.loaded.get(), exact = try VoicePiperTests.loaded.get()
        #expect(fast.precision == .int16 && exact.precision == .exact)
        for c in try VoicePiperTests.cases() {
            let a = try exact.synthesize(ids: c.ids, noiseScale: 0, lengthScale: 1, noiseW: 0)
            let b = try fast.synthesize(ids: c.ids, noiseScale: 0, lengthScale: 1, noiseW: 0)
            #expect(b.framesPerID == a.framesPerID && b.samples.count == a.samples.count)
            let ref = try TestPaths.loadFloats(TestPaths.referenceFile("vits/" + c.audio))
            let vsExact = b.samples.withUnsafeBufferPointer { VoicePiperTests.snr($0, a.samples) }
            let vsPiper = b.samples.withUnsafeBufferPointer { VoicePiperTests.snr($0, ref) }
            let s = try VoiceStreamTests.stream(fast, ids: c.ids, chunking: StreamChunking())
            let vsWhole = s.samples.withUnsafeBufferPointer { VoicePiperTests.snr($0, b.samples) }
            print("voice int16 \(c.audio): SNR vs exact \(String(format: "%.1f", vsExact)) dB, vs Piper \(String(format: "%.1f", vsPiper)) dB, streamed vs whole \(String(format: "%.1f", vsWhole)) dB")
            #expect(vsExact >= 25 && vsPiper >= 25, "\(c.name): \(vsExact) / \(vsPiper) dB")
            #expect(s.samples.count == b.samples.count && vsWhole >= 30, "\(c.name): streamed \(vsWhole) dB")
            #expect(vsExact < 80, "\(c.name): int16 gave the float audio (\(vsExact) dB): not in use?")
        }
    }
}
