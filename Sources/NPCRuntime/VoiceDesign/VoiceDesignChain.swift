/// One NPC's sound design after the voice model, for one turn:
///
///     VITS (durations × pitch/rate) → formant warp (formant ÷ pitch) → resample by pitch → effects, gain
///
/// The voice speaks `pitch`× slower and the resampler plays it `pitch`× faster, so
/// pitch moves by `pitch` and the duration comes back to the voice's own ÷ rate.
/// The resampling also moves the formants by `pitch`; the warp before it moves
/// them by formant ÷ pitch first, so they end at `formant`. Every stage is
/// stateful across chunks, so a sentence streams chunk by chunk; the effects'
/// state (reverb tails, oscillators) also runs on into the turn's next sentence.
public final class VoiceDesignChain {
    public let style: VoiceStyle
    public let sampleRate: Int
    private let pre: ProcessorGroup
    private let post: ProcessorGroup
    private var resampler: Resampler?

    public init(style: VoiceStyle, sampleRate: Int) {
        self.style = style
        self.sampleRate = sampleRate
        let warp = style.formant / style.pitch
        pre = ProcessorGroup(abs(warp - 1) > 1e-4 ? [SpectralProcessor(mode: .formant(warp), sampleRate: sampleRate)] : [])
        var effects: [any VoiceProcessor] = []
        for e in style.effects.prefix(VoiceEffect.maxChain) {
            switch e {
            case .radio: effects.append(RadioEffect(sampleRate: sampleRate))
            case .hall: effects.append(ReverbEffect(room: .hall, sampleRate: sampleRate))
            case .cave: effects.append(ReverbEffect(room: .cave, sampleRate: sampleRate))
            case .robot: effects.append(RobotEffect(sampleRate: sampleRate))
            case .whisper: effects.append(SpectralProcessor(mode: .whisper(gain: 0.9), sampleRate: sampleRate))
            case .tremolo: effects.append(TremoloEffect(sampleRate: sampleRate))
            }
        }
        if style.gain != 1 { effects.append(GainProcessor(gain: style.gain)) }
        post = ProcessorGroup(effects)
    }

    /// Starts a sentence of `inputCount` synthesized samples; returns how many
    /// samples it will come out as (all chunks of the sentence together).
    public func beginSentence(inputCount: Int) -> Int {
        pre.beginSentence()
        post.beginSentence()
        if style.pitch != 1 {
            let r = Resampler(ratio: Double(style.pitch), inputCount: inputCount)
            resampler = r
            return r.outputCount
        }
        resampler = nil
        return inputCount
    }

    /// One synthesized chunk in, the designed audio it completes out. On the
    /// sentence's last chunk everything still held is flushed.
    public func process(_ chunk: UnsafeBufferPointer<Float>, isLast: Bool) -> [Float] {
        var x = Array(chunk)
        if !pre.isEmpty { x = pre.run(x, last: isLast) }
        if let resampler { x = resampler.run(x, last: isLast) }
        if !post.isEmpty { x = post.run(x, last: isLast) }
        return x
    }

    /// A sentence's visemes moved onto the designed audio's sample positions
    /// (`inputCount` samples became `outputCount`); the last still ends at `outputCount`.
    public static func scale(_ visemes: [VisemeSpan], from inputCount: Int, to outputCount: Int) -> [VisemeSpan] {
        guard inputCount > 0, inputCount != outputCount else { return visemes }
        func at(_ s: Int) -> Int { Int((Double(s) * Double(outputCount) / Double(inputCount)).rounded()) }
        var out: [VisemeSpan] = []
        for v in visemes {
            let start = at(v.start), end = at(v.end)
            if end > start { out.append(VisemeSpan(viseme: v.viseme, start: start, end: end)) }
        }
        return out
    }
}
