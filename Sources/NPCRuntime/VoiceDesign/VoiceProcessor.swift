/// One stage of a voice's sound design: a small stateful processor that runs
/// chunk by chunk, in place, and keeps its state across chunks (so chunked
/// output equals whole-signal output). `latency` samples of delay are taken
/// back by `ProcessorGroup`, which keeps every sentence's sample count.
protocol VoiceProcessor: AnyObject {
    /// Samples by which the output lags the input.
    var latency: Int { get }
    func process(_ samples: UnsafeMutableBufferPointer<Float>)
}

/// Processors in series with their delay compensated per sentence: the first
/// `latency` output samples of a sentence are dropped and `latency` zeros pushed
/// at its end, so a sentence of N samples comes out N samples long, aligned with
/// its visemes. State (a reverb tail, an LFO's phase) carries over to the next sentence.
final class ProcessorGroup {
    let processors: [any VoiceProcessor]
    let latency: Int
    private var toDrop = 0

    init(_ processors: [any VoiceProcessor]) {
        self.processors = processors
        latency = processors.reduce(0) { $0 + $1.latency }
    }

    var isEmpty: Bool { processors.isEmpty }

    /// Called before a sentence's first chunk.
    func beginSentence() { toDrop = latency }

    /// One chunk of the sentence in, the aligned output so far out (shorter while
    /// the delay fills, longer by `latency` on the last chunk).
    func run(_ input: [Float], last: Bool) -> [Float] {
        var buffer = input
        if last && latency > 0 { buffer += [Float](repeating: 0, count: latency) }
        buffer.withUnsafeMutableBufferPointer { b in
            for p in processors { p.process(b) }
        }
        if toDrop > 0 {
            let n = min(toDrop, buffer.count)
            buffer.removeFirst(n)
            toDrop -= n
        }
        return buffer
    }
}
