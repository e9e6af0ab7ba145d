/// A Piper (VITS) voice run natively: phoneme ids in, 32-bit float mono samples out,
/// whole (`synthesize`) or streamed chunk by chunk (`startSentence`).
/// Weights stay in the memory-mapped `.onnx` (the graph is only read to find them),
/// except small copies rearranged at load (the upsamplers per output phase, the
/// flow's channel flips folded in). Immutable after loading: `synthesize` and
/// `startSentence` may be called from several threads at once (each with its own
/// pool, or none).
public final class PiperVoice: Sendable {
    /// Samples per second. The `.onnx` does not record it; it comes from the voice's
    /// `.onnx.json` (`audio.sample_rate`), 22050 for "medium" voices.
    public let sampleRate: Int
    /// Samples per duration frame (the product of the decoder's upsampling strides).
    public let hopLength: Int
    /// Rows of the phoneme embedding: valid ids are 0..<phonemeCount.
    public let phonemeCount: Int
    /// 1 for single-speaker voices.
    public let speakerCount: Int
    public let precision: VoicePrecision
    let model: VITSModel

    /// precision: how the heaviest convolutions multiply (`.exact`: as Piper).
    public convenience init(onnxPath: String, sampleRate: Int = 22050, precision: VoicePrecision = .exact) throws(RuntimeError) {
        let graph = try ONNXGraph(path: onnxPath)
        do {
            try self.init(graph: graph, sampleRate: sampleRate, precision: precision)
        } catch {
            throw RuntimeError(error.kind, "\(onnxPath): \(error.message)")
        }
    }

    init(graph: ONNXGraph, sampleRate: Int, precision: VoicePrecision = .exact) throws(ONNXError) {
        guard sampleRate > 0, sampleRate <= 384_000 else { throw .unsupported("sample rate \(sampleRate)") }
        model = try VITSModel(graph: graph, precision: precision)
        self.precision = precision
        self.sampleRate = sampleRate
        hopLength = model.decoder.hopLength
        phonemeCount = model.encoder.symbols
        speakerCount = model.speakerCount
    }

    /// Speaks one phoneme-id sequence (Piper's `^ … $` with `_` padding).
    /// - noiseScale: prior noise (Piper default 0.667); 0 is deterministic.
    /// - lengthScale: duration multiplier, > 0 (1 = the voice's pace; larger is slower).
    /// - noiseW: duration noise (Piper default 0.8); 0 is deterministic.
    /// - speaker: speaker row for multi-speaker voices (nil = 0).
    /// - seed: noise seed; the same seed gives the same audio.
    /// - threads: a pool the convolutions split their work across (nil: the calling thread
    ///   only); one call at a time per pool.
    /// Returns the samples and each id's duration in frames (`hopLength` samples each):
    /// `samples.count == framesPerID.reduce(0, +) * hopLength` (at least one frame).
    public func synthesize(ids: [Int], noiseScale: Float, lengthScale: Float, noiseW: Float,
                           speaker: Int? = nil, seed: UInt64 = 0,
                           threads: ThreadPool? = nil) throws(RuntimeError) -> (samples: [Float], framesPerID: [Int]) {
        try model.synthesize(ids: ids, scales: .init(noise: noiseScale, length: lengthScale, noiseW: noiseW),
                             speaker: speaker, seed: seed, pool: threads)
    }

    /// `synthesize` with each id's frames given (tests: one precision's durations given to another).
    func synthesize(ids: [Int], durations: [Int], noiseScale: Float) throws(RuntimeError) -> [Float] {
        try model.synthesize(ids: ids, scales: .init(noise: noiseScale, length: 1, noiseW: 0), speaker: nil, seed: 0,
                             durations: durations).samples
    }

    /// Starts streaming one sentence: runs the text encoder, durations and flow
    /// now, then each `next()` of the returned stream decodes one more chunk.
    /// - ids: the sentence's phoneme ids; spans: which ids each phoneme produced
    ///   (from `PhonemizedSentence`), for the stream's visemes (empty: all silence).
    /// - threads: a pool the convolutions split their work across (nil: the
    ///   calling thread only). The stream uses it on every `next()`, so the pool
    ///   must not serve anything else at the same time.
    public func startSentence(ids: [Int], spans: [PhonemeIDMapper.Span] = [], scales: VoiceScales,
                              speaker: Int? = nil, seed: UInt64 = 0, threads: ThreadPool? = nil,
                              chunking: StreamChunking = StreamChunking()) throws(RuntimeError) -> SentenceStream {
        try startSentence(ids: ids, spans: spans, scales: scales, speaker: speaker, seed: seed, threads: threads,
                          chunking: chunking, spare: nil)
    }

    /// - spare: decoder scratch of an earlier stream that is gone, reused when large enough.
    /// - spareWorkspace: the workspace of an earlier stream that is gone, made with `threads`.
    func startSentence(ids: [Int], spans: [PhonemeIDMapper.Span], scales: VoiceScales, speaker: Int?, seed: UInt64,
                       threads: ThreadPool?, chunking: StreamChunking, spare: HiFiGANGenerator.Scratch?,
                       spareWorkspace: VoiceWorkspace? = nil) throws(RuntimeError) -> SentenceStream {
        let workspace: VoiceWorkspace
        if let spareWorkspace, spareWorkspace.pool === threads {
            spareWorkspace.reset()
            workspace = spareWorkspace
        } else {
            workspace = VoiceWorkspace(pool: threads)
        }
        let prepared = try model.prepare(ids: ids, scales: .init(noise: scales.noise, length: scales.length, noiseW: scales.noiseW,
                                                                       stretch: scales.stretch),
                                         speaker: speaker, seed: seed, workspace: workspace)
        return try SentenceStream(model: model, prepared: prepared, workspace: workspace, spans: spans,
                                  sampleRate: sampleRate, chunking: chunking, spare: spare)
    }
}

/// The three knobs of a VITS synthesis.
public struct VoiceScales: Sendable, Equatable {
    /// Prior noise (expressiveness); 0 is deterministic.
    public var noise: Float
    /// Duration multiplier, > 0; larger is slower.
    public var length: Float
    /// Duration noise (rhythm variation); 0 is deterministic.
    public var noiseW: Float
    /// Exact duration multiplier on top of `length`: the total length follows it to
    /// within a frame (Piper's ceil per phoneme makes `length` inexact). 1 keeps Piper's frames.
    public var stretch: Float

    public init(noise: Float = VoiceConfig.defaultNoiseScale, length: Float = VoiceConfig.defaultLengthScale,
                noiseW: Float = VoiceConfig.defaultNoiseW, stretch: Float = 1) {
        self.noise = noise
        self.length = length
        self.noiseW = noiseW
        self.stretch = stretch
    }

    /// The defaults a voice's `.onnx.json` recommends.
    public init(config: VoiceConfig) {
        self.init(noise: config.noiseScale, length: config.lengthScale, noiseW: config.noiseW)
    }
}
