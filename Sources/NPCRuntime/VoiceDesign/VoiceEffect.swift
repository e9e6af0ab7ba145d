/// The effects a voice style can chain, by the names scripts use.
public enum VoiceEffect: String, Sendable, Equatable, CaseIterable {
    /// Band-pass 300 Hz–3.5 kHz with saturation: a handheld radio or a speaking tube.
    case radio
    /// A large hall: medium reverb.
    case hall
    /// A stone cave: long, bright reverb.
    case cave
    /// Ring modulation and a metallic comb: a construct, a golem.
    case robot
    /// Noise in place of the voiced excitation, under the same spectral envelope.
    case whisper
    /// Amplitude tremolo with a slight pitch wobble: an old, shaky voice.
    case tremolo

    /// Most effects one style may chain.
    public static let maxChain = 8
}
