#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A VITS voice's inference path, phoneme ids → waveform:
/// text encoder → stochastic durations → alignment → prior sample → reversed
/// flow → HiFi-GAN. Immutable after loading, so one model serves many threads.
struct VITSModel: Sendable {
    let encoder: TextEncoder
    let durationPredictor: StochasticDurationPredictor
    let flow: ResidualCouplingFlow
    let decoder: HiFiGANGenerator
    /// (speakers, speakerChannels), nil for single-speaker voices
    let speakerEmbedding: WeightBuffer?
    let speakerCount: Int
    let speakerChannels: Int

    /// Longest phoneme sequence per call (attention is quadratic in it).
    static let maxPhonemes = 4096
    /// Longest output per call in latent frames (~47 s at 22.05 kHz, hop 256); the flow
    /// holds a few (192, frames) maps. The decoder works on windows of at most
    /// `wholeSentenceWindow` frames, so its scratch does not grow with the sentence.
    static let maxFrames = 4096
    /// Cap on the decoder's scratch, in floats (1 GiB), against models with outsized layers.
    static let maxDecoderScratch = 1 << 28

    struct Scales {
        let noise: Float
        let length: Float
        let noiseW: Float
        /// Exact duration multiplier applied after Piper's rounding (1: Piper's frames).
        var stretch: Float = 1
    }

    /// Stage outputs for debugging and tests, named as in the reference's stages.json.
    typealias Observer = (String, FeatureMap) -> Void

    /// A sentence after the text encoder, durations and flow: the decoder's input.
    struct Prepared {
        /// z (latent, frames), in the workspace: the prior sample, turned into the
        /// decoder's input by `flow` up to `flow.ready`
        let z: FeatureMap
        let flow: ResidualCouplingFlow.Run
        let framesPerID: [Int]
        /// (decoder.pre.outChannels), the speaker's conditioning after conv_pre, in the workspace
        let speakerBias: UnsafeMutablePointer<Float>?
    }

    /// Output frames decoded per window by `synthesize` (bounds the decoder's scratch).
    static let wholeSentenceWindow = 128
    /// Frames per window of the flow. Each window recomputes its WaveNets' context at both ends
    /// (about 10 columns a layer): 4% of 256 frames, 8% of 128.
    static let flowWindow = 256

    /// Everything is validated before any work: ids in range, finite scales, a known speaker.
    /// `durations`: each id's frames, in place of the duration predictor's (tests: one voice's
    /// durations given to another).
    func synthesize(ids: [Int], scales: Scales, speaker: Int?, seed: UInt64, pool: ThreadPool? = nil, durations: [Int]? = nil,
                    observer: Observer? = nil) throws(RuntimeError) -> (samples: [Float], framesPerID: [Int]) {
        let workspace = VoiceWorkspace(pool: pool)
        let sentence = try prepare(ids: ids, scales: scales, speaker: speaker, seed: seed, workspace: workspace, durations: durations,
                                   observer: observer)
        let frames = sentence.z.length
        flow.advance(sentence.flow, to: frames, workspace: workspace)
        observer?("z_flow", sentence.z)
        let scratch = try decoderScratch(maxFrames: min(frames, Self.wholeSentenceWindow), totalFrames: frames)
        let hop = decoder.hopLength
        var samples = [Float](repeating: 0, count: frames * hop)
        samples.withUnsafeMutableBufferPointer { out in
            // Safe: the array has frames · hop > 0 elements (frames ≥ 1).
            let base = out.baseAddress!
            var f = 0
            while f < frames {
                let n = min(Self.wholeSentenceWindow, frames - f)
                decoder.decode(sentence.z, frames: f ..< f + n, speakerBias: sentence.speakerBias, scratch: scratch,
                               workspace: workspace, into: base + f * hop, observer: observer)
                f += n
            }
        }
        return (samples, sentence.framesPerID)
    }

    /// Decoder scratch for windows of up to `maxFrames` frames of a sentence `totalFrames` long.
    func decoderScratch(maxFrames: Int, totalFrames: Int) throws(RuntimeError) -> HiFiGANGenerator.Scratch {
        let capacity = decoder.scratchCapacity(maxFrames: maxFrames, totalFrames: totalFrames)
        guard capacity <= Self.maxDecoderScratch / 5 else {
            throw RuntimeError(.voice, "decoding \(maxFrames) frames at once needs \(5 * capacity / (1 << 18)) MiB of scratch")
        }
        return HiFiGANGenerator.Scratch(maxFrames: maxFrames, capacity: capacity, pairs: decoder.needsPairScratch)
    }

    /// Text encoder → durations → prior for the whole sentence; the reversed flow is
    /// set up to run window by window (`flow.advance`).
    func prepare(ids: [Int], scales: Scales, speaker: Int?, seed: UInt64, workspace: VoiceWorkspace, durations: [Int]? = nil,
                 observer: Observer? = nil) throws(RuntimeError) -> Prepared {
        guard !ids.isEmpty else { throw RuntimeError(.invalidArgument, "no phoneme ids to speak") }
        guard ids.count <= Self.maxPhonemes else {
            throw RuntimeError(.invalidArgument, "\(ids.count) phoneme ids, at most \(Self.maxPhonemes) per call")
        }
        if let i = ids.firstIndex(where: { $0 < 0 || $0 >= encoder.symbols }) {
            throw RuntimeError(.invalidArgument, "phoneme id \(ids[i]) at position \(i) is outside the voice's 0..<\(encoder.symbols)")
        }
        guard scales.noise.isFinite, scales.noiseW.isFinite, scales.length.isFinite, scales.length > 0 else {
            throw RuntimeError(.invalidArgument, "scales must be finite and length_scale positive")
        }
        guard scales.stretch.isFinite, scales.stretch >= 0.05, scales.stretch <= 20 else {
            throw RuntimeError(.invalidArgument, "duration stretch \(scales.stretch) is outside 0.05…20")
        }
        if let durations {
            guard durations.count == ids.count, durations.allSatisfy({ $0 >= 0 && $0 <= Self.maxFrames }),
                  durations.reduce(0, +) <= Self.maxFrames else {
                throw RuntimeError(.invalidArgument, "durations must be one count of frames per id, at most \(Self.maxFrames) in total")
            }
        }
        let speakerRow: Int?
        if speakerEmbedding != nil {
            let s = speaker ?? 0
            guard s >= 0, s < speakerCount else { throw RuntimeError(.invalidArgument, "speaker \(s) is outside 0..<\(speakerCount)") }
            speakerRow = s
        } else {
            guard speaker == nil || speaker == 0 else { throw RuntimeError(.invalidArgument, "this voice has a single speaker") }
            speakerRow = nil
        }

        let t = ids.count

        // g (speakerChannels, 1)
        var speakerVector: FeatureMap?
        if let speakerEmbedding, let row = speakerRow {
            let g = workspace.map(speakerChannels, 1)
            g.data.update(from: speakerEmbedding.base + row * speakerChannels, count: speakerChannels)
            speakerVector = g
        }

        // text encoder: hidden (H, T), m_p and logs_p (latent, T)
        let text = encoder.forward(ids, workspace: workspace)
        observer?("encoder_hidden", text.hidden)
        observer?("m_p", text.mean)
        observer?("logs_p", text.logStd)

        // log-durations from noise (2, T) · noise_w pushed back through the predictor's flows
        let dpNoise = workspace.map(2, t)
        var drawn = 0   // noise samples taken; the prior's follow
        if scales.noiseW != 0 {
            var noise = GaussianNoise(seed: seed)
            noise.fill(dpNoise.data, count: dpNoise.count, scale: scales.noiseW)
            drawn = dpNoise.count
        }
        let frames: [Int]
        if let durations {
            frames = durations
        } else {
            let logw = durationPredictor.logDurations(hidden: text.hidden, speaker: speakerVector, noise: dpNoise, workspace: workspace)
            if let observer {
                let m = workspace.map(1, t)
                for i in 0..<t { m.data[i] = logw[i] }
                observer("logw", m)
            }
            // frames = ceil(exp(logw) · length_scale), then × stretch with error diffusion
            frames = try Self.frames(logw, lengthScale: scales.length, stretch: scales.stretch)
        }

        // z_p (latent, frames) = m_p and logs_p expanded along the alignment, plus noise
        let z = samplePrior(text, frames: frames, noiseScale: scales.noise, seed: seed, firstSample: drawn, workspace: workspace)
        observer?("z_p_expanded", z)

        // reversed flow: z_p → z (latent, frames), as far as the decoder needs it
        let flowRun = flow.start(z, window: Self.flowWindow, speaker: speakerVector, workspace: workspace)

        // the decoder's speaker conditioning, a per-channel offset after conv_pre
        var speakerBias: UnsafeMutablePointer<Float>?
        if let condition = decoder.speakerCondition, let speakerVector {
            let g = workspace.map(condition.outChannels, 1)
            condition.forward(speakerVector, into: g, workspace: workspace)
            speakerBias = g.data
        }
        return Prepared(z: z, flow: flowRun, framesPerID: frames, speakerBias: speakerBias)
    }

    /// Durations in frames per phoneme, ceil(exp(logw) · lengthScale), bounded by `maxFrames` in total.
    /// With `stretch` ≠ 1 Piper's frames are scaled and rounded with error diffusion, so
    /// the total is Piper's total × stretch within one frame (a length scale alone is
    /// inexact: the ceil adds about half a frame per phoneme whatever the scale).
    static func frames(_ logw: [Float], lengthScale: Float, stretch: Float = 1) throws(RuntimeError) -> [Int] {
        var frames = [Int](repeating: 0, count: logw.count)
        var total = 0
        var carry: Double = 0
        for i in 0..<logw.count {
            var w = (expf(logw[i]) * lengthScale).rounded(.up)
            if stretch != 1, w.isFinite {
                let exact = Double(w) * Double(stretch) + carry
                let rounded = max(0, exact.rounded())
                carry = exact - rounded
                w = Float(rounded)
            }
            guard w.isFinite, w <= Float(maxFrames) else {
                throw RuntimeError(.voice, "phoneme \(i) would last \(w) frames; at most \(maxFrames) per call")
            }
            frames[i] = Int(w)
            total += frames[i]
        }
        guard total <= maxFrames else {
            throw RuntimeError(.voice, "\(total) frames of audio requested; at most \(maxFrames) per call (shorten the sentence or the length scale)")
        }
        return frames
    }

    /// z_p (latent, frames): frame f takes the mean of the phoneme whose span holds it,
    /// plus ε · exp(logs_p) · noiseScale. The graph clamps the length to at least one
    /// frame; a frame no phoneme covers has mean 0 and log-std 0. ε: the seed's noise stream from
    /// sample `firstSample` on, row by row; rows split between threads, each starting its own
    /// part of the stream, so the samples do not depend on the split.
    func samplePrior(_ text: TextEncoder.Output, frames: [Int], noiseScale: Float, seed: UInt64, firstSample: Int,
                     workspace: VoiceWorkspace) -> FeatureMap {
        let frameCount = max(1, frames.reduce(0, +))
        var owner = [Int](repeating: -1, count: frameCount)
        var y = 0
        for (i, n) in frames.enumerated() {
            for k in 0..<n { owner[y + k] = i }
            y += n
        }
        let latent = encoder.latentChannels
        let z = workspace.map(latent, frameCount)
        owner.withUnsafeBufferPointer { owner in
            workspace.forEachRow(latent, columns: frameCount, minimumElements: VoiceWorkspace.minimumTranscendentalsPerThread) { c in
                let row = z.row(c), mean = text.mean.row(c), logStd = text.logStd.row(c)
                var noise = GaussianNoise(seed: seed, from: firstSample + c * frameCount)
                var phoneme = -1, std: Float = 1   // exp(logs_p) of `phoneme` (-1: no phoneme, log-std 0)
                for f in 0..<frameCount {
                    let i = owner[f]
                    row[f] = i >= 0 ? mean[i] : 0
                    guard noiseScale != 0 else { continue }
                    if i != phoneme {
                        phoneme = i
                        std = expf(i >= 0 ? logStd[i] : 0)
                    }
                    row[f] += noise.next() * std * noiseScale
                }
            }
        }
        return z
    }
}
