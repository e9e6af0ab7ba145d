import Foundation
import Testing
@testable import NPCRuntime

/// The joe voice with VoicePrecision.int16 against the exact voice and Piper, on the reference
/// cases. The text encoder's int16 products move its output a little: the durations stay within
/// a frame of the exact voice's, and the pitch moves by a fraction of a percent, which turns into
/// a phase drift along each vowel. The waveforms then differ more than they sound, so the audio is
/// compared by magnitude spectrogram (`spectralSNR`); the decoder's and flows' own error, local
/// noise, shows in both. Streamed is compared to whole by waveform (same model, same prosody).
/// Intelligibility (Whisper) is measured by bench/voice-precision.py, not here.
@Suite(.serialized) struct VoicePrecisionTests {
    static let enabled = VoiceStreamTests.enabled

    static let loaded: Result<PiperVoice, RuntimeError> = {
        guard let path = TestPaths.model(VoicePiperTests.voiceName) else { return .failure(RuntimeError(.fileNotFound, "voice not found")) }
        return Result { () throws(RuntimeError) in try PiperVoice(onnxPath: path, precision: .int16) }
    }()

    @Test("int16: durations within a frame, spectrogram ≥ 25 dB of the exact voice's and Piper's, streamed ≥ 30 dB of whole",
          .enabled(if: enabled))
    func closeToTheExactVoice() throws {
        let fast = try Self.loaded.get(), exact = try VoicePiperTests.loaded.get()
        #expect(fast.precision == .int16 && exact.precision == .exact)
        var phonemes = 0, moved = 0
        for c in try VoicePiperTests.cases() {
            let a = try exact.synthesize(ids: c.ids, noiseScale: 0, lengthScale: 1, noiseW: 0)
            let b = try fast.synthesize(ids: c.ids, noiseScale: 0, lengthScale: 1, noiseW: 0)
            let shifts = zip(a.framesPerID, b.framesPerID).map { abs($0 - $1) }
            #expect(b.framesPerID.count == a.framesPerID.count && shifts.allSatisfy { $0 <= 1 },
                    "\(c.name): durations \(a.framesPerID) vs \(b.framesPerID)")
            phonemes += shifts.count
            moved += shifts.filter { $0 != 0 }.count
            // on the exact voice's durations, so that the spectrograms line up frame by frame
            let aligned = try fast.synthesize(ids: c.ids, durations: a.framesPerID, noiseScale: 0)
            let ref = try TestPaths.loadFloats(TestPaths.referenceFile("vits/" + c.audio))
            let vsExact = Self.spectralSNR(aligned, a.samples), vsPiper = Self.spectralSNR(aligned, ref)
            let waveform = aligned.withUnsafeBufferPointer { VoicePiperTests.snr($0, a.samples) }
            let s = try VoiceStreamTests.stream(fast, ids: c.ids, chunking: StreamChunking())
            let vsWhole = s.samples.withUnsafeBufferPointer { VoicePiperTests.snr($0, b.samples) }
            print("voice int16 \(c.audio): \(shifts.filter { $0 != 0 }.count)/\(shifts.count) durations moved; spectrogram SNR vs exact "
                  + "\(String(format: "%.1f", vsExact)) dB, vs Piper \(String(format: "%.1f", vsPiper)) dB (waveform "
                  + "\(String(format: "%.1f", waveform)) dB); streamed vs whole \(String(format: "%.1f", vsWhole)) dB")
            #expect(aligned.count == a.samples.count && vsExact >= 25 && vsPiper >= 25, "\(c.name): \(vsExact) / \(vsPiper) dB")
            #expect(s.samples.count == b.samples.count && vsWhole >= 30, "\(c.name): streamed \(vsWhole) dB")
            #expect(waveform < 80, "\(c.name): int16 gave the float audio (\(waveform) dB): not in use?")
        }
        // a frame more or less on a few phonemes, not another rhythm
        #expect(moved * 20 <= phonemes, "\(moved) of \(phonemes) durations moved")
    }

    /// 10·log10(Σ|A|² / Σ(|A| − |B|)²) over the magnitude spectrograms of a (the reference) and b
    /// (Hann windows of 1024 samples, hop 256, the voice design's `FFT`), on their common length.
    static func spectralSNR(_ b: [Float], _ a: [Float]) -> Double {
        let n = 1024, hop = 256, count = min(a.count, b.count)
        let fft = FFT(size: n)
        let window = (0..<n).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n))) }
        var re = [Float](repeating: 0, count: n), im = re
        func magnitudes(_ x: [Float], _ start: Int) -> [Double] {
            for i in 0..<n { re[i] = x[start + i] * window[i]; im[i] = 0 }
            fft.transform(re: &re, im: &im, inverse: false)
            return (0...(n / 2)).map { Double(re[$0] * re[$0] + im[$0] * im[$0]).squareRoot() }
        }
        var signal = 0.0, error = 0.0
        var start = 0
        while start + n <= count {
            let ma = magnitudes(a, start), mb = magnitudes(b, start)
            for k in 0..<ma.count {
                signal += ma[k] * ma[k]
                error += (ma[k] - mb[k]) * (ma[k] - mb[k])
            }
            start += hop
        }
        return error == 0 ? .infinity : 10 * log10(signal / error)
    }
}
