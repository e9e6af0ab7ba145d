#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Short-time Fourier processing of a voice (Hann windows, 75% overlap, weighted
/// overlap-add) with a smooth spectral envelope per frame from the real cepstrum.
/// Two uses share it:
/// - formant warp: the envelope moves by a factor while the harmonics stay where
///   they are, so timbre (vocal-tract size) changes independently of pitch;
/// - whisper: the harmonics are replaced by noise under the same envelope
///   (unvoiced speech keeps its formants, which is why whispering stays intelligible).
/// Latency: one frame (`frameSize` samples). Allocates only in `init`.
final class SpectralProcessor: VoiceProcessor {
    enum Mode: Equatable {
        /// Envelope read at f/factor: factor > 1 moves formants up (a smaller head).
        case formant(Float)
        /// Noise excitation under the envelope, at this share of the input's energy.
        case whisper(gain: Float)
    }

    let mode: Mode
    let frameSize: Int
    let hop: Int
    var latency: Int { frameSize }
    /// Cepstral coefficients kept for the envelope: below the pitch period of
    /// the highest voice we make (1.5 ms ≈ 670 Hz; quefrency index = sample), so harmonics are smoothed away.
    let lifter: Int

    private let fft: FFT
    private let window: [Float]
    /// The last `frameSize` input samples (oldest first).
    private var frame: [Float]
    /// Overlap-add accumulator aligned with `frame`.
    private var accumulator: [Float]
    /// Finished output being handed out during the current hop.
    private var ready: [Float]
    private var filled = 0
    private var re: [Float], im: [Float], cre: [Float], cim: [Float], envelope: [Float]
    private var noise: SplitMix64
    /// Σ analysis·synthesis window over the overlapping frames (1.5 for Hann² at 75%).
    private let norm: Float

    init(mode: Mode, sampleRate: Int, seed: UInt64 = 0x5EED) {
        self.mode = mode
        frameSize = sampleRate > 32000 ? 2048 : 1024
        hop = frameSize / 4
        fft = FFT(size: frameSize)
        let n = frameSize
        window = (0..<n).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n))) }
        norm = 1.5
        lifter = max(8, Int(0.0015 * Double(sampleRate)))
        frame = [Float](repeating: 0, count: n)
        accumulator = [Float](repeating: 0, count: n)
        ready = [Float](repeating: 0, count: hop)
        re = [Float](repeating: 0, count: n)
        im = [Float](repeating: 0, count: n)
        cre = [Float](repeating: 0, count: n)
        cim = [Float](repeating: 0, count: n)
        envelope = [Float](repeating: 0, count: n / 2 + 1)
        noise = SplitMix64(seed: seed)
    }

    func process(_ samples: UnsafeMutableBufferPointer<Float>) {
        let n = frameSize, h = hop
        for i in samples.indices {
            let x = samples[i]
            frame[n - h + filled] = x
            samples[i] = ready[filled]
            filled += 1
            if filled == h {
                filled = 0
                processFrame()
                for k in 0..<h { ready[k] = accumulator[k] / norm }
                // shift the accumulator and the input window by one hop
                for k in 0..<(n - h) {
                    accumulator[k] = accumulator[k + h]
                    frame[k] = frame[k + h]
                }
                for k in (n - h)..<n { accumulator[k] = 0 }
            }
        }
    }

    /// Analyse `frame`, change the spectrum, add the windowed result to `accumulator`.
    private func processFrame() {
        let n = frameSize, half = n / 2
        var energy: Float = 0
        for k in 0..<n { energy += frame[k] * frame[k] }
        // Silence in, silence out (and no log of zero).
        guard energy > 1e-12 else { return }
        re.withUnsafeMutableBufferPointer { re in
        im.withUnsafeMutableBufferPointer { im in
        cre.withUnsafeMutableBufferPointer { cre in
        cim.withUnsafeMutableBufferPointer { cim in
        envelope.withUnsafeMutableBufferPointer { env in
            // Safe: every buffer was allocated with frameSize (or half + 1) elements in init.
            let r = re.baseAddress!, m = im.baseAddress!, cr = cre.baseAddress!, ci = cim.baseAddress!
            for k in 0..<n {
                r[k] = frame[k] * window[k]
                m[k] = 0
            }
            fft.transform(re: r, im: m, inverse: false)
            // log magnitude → real cepstrum → keep the low quefrencies → smooth log envelope
            for k in 0...half {
                let mag = (r[k] * r[k] + m[k] * m[k]).squareRoot()
                cr[k] = logf(max(mag, 1e-7))
                ci[k] = 0
            }
            for k in 1..<half {
                cr[n - k] = cr[k]
                ci[n - k] = 0
            }
            fft.transform(re: cr, im: ci, inverse: true)
            for k in 0..<n where k > lifter && k < n - lifter {
                cr[k] = 0
                ci[k] = 0
            }
            fft.transform(re: cr, im: ci, inverse: false)
            for k in 0...half { env[k] = cr[k] }

            switch mode {
            case let .formant(factor):
                for k in 0...half {
                    let source = min(Float(half), Float(k) / factor)
                    let i = Int(source), f = source - Float(i)
                    let warped = i < half ? env[i] + f * (env[i + 1] - env[i]) : env[half]
                    // bounded to ±40 dB so an empty band is not blown up into noise
                    let gain = expf(min(4.6, max(-4.6, warped - env[k])))
                    r[k] *= gain
                    m[k] *= gain
                }
            case let .whisper(gain):
                var before: Float = 0, after: Float = 0
                for k in 0...half {
                    before += r[k] * r[k] + m[k] * m[k]
                    let magnitude = expf(env[k])
                    let phase = 2 * Float.pi * noise.nextFloat()
                    r[k] = magnitude * cosf(phase)
                    m[k] = k == 0 || k == half ? 0 : magnitude * sinf(phase)
                    after += r[k] * r[k] + m[k] * m[k]
                }
                let scale = after > 0 ? gain * (before / after).squareRoot() : 0
                for k in 0...half {
                    r[k] *= scale
                    m[k] *= scale
                }
            }
            // Hermitian symmetry so the inverse is real
            for k in 1..<half {
                r[n - k] = r[k]
                m[n - k] = -m[k]
            }
            m[0] = 0
            m[half] = 0
            fft.transform(re: r, im: m, inverse: true)
            for k in 0..<n { accumulator[k] += r[k] * window[k] }
        }
        }
        }
        }
        }
    }
}
