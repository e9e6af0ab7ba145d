/// One piece of a sentence's audio.
public struct AudioChunk {
    /// Mono float samples in −1 … 1. Borrowed from the stream: valid until its
    /// next `next()` call or until the stream is released; copy to keep them.
    public let samples: UnsafeBufferPointer<Float>
    /// Index of the first sample within the sentence.
    public let offset: Int
    /// True for the sentence's final chunk.
    public let isLast: Bool
}

/// How a sentence's audio is cut into chunks: a short first chunk so playback
/// starts early, then chunks doubling up to `maxFrames` (each chunk costs a
/// little extra for the decoder's context, so later chunks are longer).
public struct StreamChunking: Sendable, Equatable {
    /// Frames (hop-length samples each) in the first chunk.
    public var firstFrames: Int
    /// Largest chunk in frames; the stream's scratch is sized for it.
    public var maxFrames: Int

    public init(firstFrames: Int = 16, maxFrames: Int = 128) {
        self.firstFrames = max(1, firstFrames)
        self.maxFrames = max(self.firstFrames, maxFrames)
    }
}

/// A sentence being synthesized, pulled chunk by chunk: the text encoder and
/// durations have run when the stream is created; each `next()` runs the flow
/// as far as the next window of frames needs, then decodes that window.
/// Streamed audio equals whole-sentence audio (every layer's receptive field is
/// covered at every seam). All scratch is allocated up front; `next()`
/// allocates nothing.
///
/// Not thread-safe: use a stream (and the pool it was started with) from one
/// thread at a time. It may move between threads (hence Sendable).
public final class SentenceStream: @unchecked Sendable {
    public let sampleRate: Int
    /// Each phoneme id's duration in frames (`hopLength` samples each).
    public let framesPerID: [Int]
    public let hopLength: Int
    /// The sentence's length in samples: Σ framesPerID · hopLength.
    public let sampleCount: Int
    /// Lip-sync track covering the sentence's samples (silence throughout when
    /// the stream was started from bare ids).
    public let visemes: [VisemeSpan]
    public let chunking: StreamChunking
    /// Frames decoded so far.
    public private(set) var framesDone = 0

    private let model: VITSModel
    /// Holds the prepared sentence (z, speaker bias) and the column buffers; the next sentence's
    /// once this stream is gone.
    let workspace: VoiceWorkspace
    private let prepared: VITSModel.Prepared
    /// (chunking.maxFrames · hopLength) samples handed out by `next()`.
    private let output: UnsafeMutablePointer<Float>
    private var nextChunkFrames: Int

    /// The decoder scratch, for the next sentence once this stream is gone.
    let scratch: HiFiGANGenerator.Scratch

    /// - spare: a previous stream's decoder scratch, used when it is large enough.
    init(model: VITSModel, prepared: VITSModel.Prepared, workspace: VoiceWorkspace, spans: [PhonemeIDMapper.Span],
         sampleRate: Int, chunking: StreamChunking, spare: HiFiGANGenerator.Scratch? = nil) throws(RuntimeError) {
        self.model = model
        self.prepared = prepared
        self.workspace = workspace
        self.sampleRate = sampleRate
        self.chunking = chunking
        framesPerID = prepared.framesPerID
        hopLength = model.decoder.hopLength
        let frames = prepared.z.length
        sampleCount = frames * hopLength
        let maxFrames = min(frames, chunking.maxFrames)
        let capacity = model.decoder.scratchCapacity(maxFrames: maxFrames, totalFrames: frames)
        if let spare, spare.capacity >= capacity, spare.hasPairs == model.decoder.needsPairScratch {
            scratch = spare
        } else {
            scratch = try model.decoderScratch(maxFrames: maxFrames, totalFrames: frames)
        }
        output = UnsafeMutablePointer<Float>.allocate(capacity: maxFrames * hopLength)
        output.initialize(repeating: 0, count: maxFrames * hopLength)
        nextChunkFrames = chunking.firstFrames
        visemes = VisemeTimeline.spans(framesPerID: prepared.framesPerID, phonemes: spans, hopLength: hopLength)
    }

    deinit { output.deallocate() }

    /// The next chunk, or nil once the sentence is done.
    public func next() -> AudioChunk? {
        let total = prepared.z.length
        guard framesDone < total else { return nil }
        let n = min(nextChunkFrames, chunking.maxFrames, total - framesDone)
        // The flow runs just ahead of the decoder: to the last latent frame this window reads,
        // after the first chunk in steps of at least a flow window.
        let frames = framesDone ..< framesDone + n
        let needed = model.decoder.pre.inputColumns(for: model.decoder.preColumns(frames: frames, totalFrames: total), total: total).upperBound
        let ready = prepared.flow.ready
        if ready < needed {
            model.flow.advance(prepared.flow, to: framesDone == 0 ? needed : max(needed, ready + VITSModel.flowWindow), workspace: workspace)
        }
        model.decoder.decode(prepared.z, frames: frames, speakerBias: prepared.speakerBias,
                             scratch: scratch, workspace: workspace, into: output)
        let chunk = AudioChunk(samples: UnsafeBufferPointer(start: output, count: n * hopLength),
                               offset: framesDone * hopLength, isLast: framesDone + n == total)
        framesDone += n
        nextChunkFrames = min(chunking.maxFrames, 2 * nextChunkFrames)
        return chunk
    }
}
