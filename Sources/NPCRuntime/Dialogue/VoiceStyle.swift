/// How one NPC's voice differs from the base voice.
public struct VoiceStyle: Sendable, Equatable {
    /// Speaking rate: 1 is the voice's own; 1.2 is 20% faster. Exact: the
    /// sentence's length is the voice's own ÷ rate within a frame.
    public var rate: Float = 1
    /// nil: the voice's defaults.
    public var noiseScale: Float?
    public var noiseW: Float?
    public var speaker: Int?
    /// Pitch factor (0.5…2), duration kept: the voice speaks pitch× slower and the
    /// audio is resampled pitch× faster.
    public var pitch: Float = 1
    /// Formant (vocal-tract) factor (0.7…1.4), independent of pitch: > 1 a smaller
    /// head (child, woman), < 1 a larger one (giant).
    public var formant: Float = 1
    /// Effects in the order they run.
    public var effects: [VoiceEffect] = []
    /// Loudness factor (stage directions: shouting, whispering); 1 leaves it.
    public var gain: Float = 1
    /// The preset this style started from, if any (reported back, saved in snapshots).
    public var preset: String?
    public init() {}

    /// The synthesis scales for this style on a voice whose defaults are `base`.
    /// Rate and pitch act through the exact duration stretch; the length scale stays
    /// the voice's, so rate 1 and pitch 1 keep Piper's frames bit for bit.
    public func scales(over base: VoiceScales) -> VoiceScales {
        VoiceScales(noise: noiseScale ?? base.noise, length: base.length, noiseW: noiseW ?? base.noiseW,
                    stretch: pitch / rate)
    }

    /// True when the synthesized audio goes out unchanged (no resampling, no effects).
    public var isPlain: Bool { pitch == 1 && formant == 1 && effects.isEmpty && gain == 1 }
}
