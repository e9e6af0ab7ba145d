/// How one NPC's voice differs from the base voice.
public struct VoiceStyle: Sendable, Equatable {
    /// Speaking rate: 1 is the voice's own; 1.2 is 20% faster (length scale ÷ rate).
    public var rate: Float = 1
    /// nil: the voice's defaults.
    public var noiseScale: Float?
    public var noiseW: Float?
    public var speaker: Int?
    public init() {}

    /// The synthesis scales for this style on a voice whose defaults are `base`.
    func scales(over base: VoiceScales) -> VoiceScales {
        VoiceScales(noise: noiseScale ?? base.noise, length: base.length / rate, noiseW: noiseW ?? base.noiseW)
    }
}
