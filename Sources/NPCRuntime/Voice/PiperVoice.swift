/// A Piper (VITS) voice run natively: phoneme ids in, 32-bit float mono samples out.
/// Weights stay in the memory-mapped `.onnx`; the graph is only read to find them.
/// Immutable after loading: `synthesize` may be called from several threads at once.
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
    let model: VITSModel

    public convenience init(onnxPath: String, sampleRate: Int = 22050) throws(RuntimeError) {
        let graph = try ONNXGraph(path: onnxPath)
        do {
            try self.init(graph: graph, sampleRate: sampleRate)
        } catch {
            throw RuntimeError(error.kind, "\(onnxPath): \(error.message)")
        }
    }

    init(graph: ONNXGraph, sampleRate: Int) throws(ONNXError) {
        guard sampleRate > 0, sampleRate <= 384_000 else { throw .unsupported("sample rate \(sampleRate)") }
        model = try VITSModel(graph: graph)
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
    /// Returns the samples and each id's duration in frames (`hopLength` samples each):
    /// `samples.count == framesPerID.reduce(0, +) * hopLength` (at least one frame).
    public func synthesize(ids: [Int], noiseScale: Float, lengthScale: Float, noiseW: Float,
                           speaker: Int? = nil, seed: UInt64 = 0) throws(RuntimeError) -> (samples: [Float], framesPerID: [Int]) {
        try model.synthesize(ids: ids, scales: .init(noise: noiseScale, length: lengthScale, noiseW: noiseW),
                             speaker: speaker, seed: seed)
    }
}
