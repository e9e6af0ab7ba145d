/// Named characters made from the one base voice (a male adult, ~110 Hz).
/// Pitch and formant move together for a different body (child, giant), apart
/// for a different manner (a witch: high pitch, a slightly smaller tract).
///
/// | name          | pitch | formant | rate | effects          | character                         |
/// | ------------- | ----- | ------- | ---- | ---------------- | --------------------------------- |
/// | `old_man`     | 0.88  | 0.94    | 0.82 | tremolo          | slow, low, shaky                  |
/// | `child`       | 1.55  | 1.22    | 1.08 | —                | high, small, quick                |
/// | `woman`       | 1.7   | 1.15    | 1.0  | —                | an adult woman's range            |
/// | `giant`       | 0.7   | 0.84    | 0.85 | —                | huge, slow, deep               |
/// | `ghost`       | 1.1   | 1.05    | 0.85 | whisper, hall    | breathy, distant                  |
/// | `guard_radio` | 1.0   | 1.0     | 1.08 | radio            | a guard on a speaking tube        |
/// | `witch`       | 1.35  | 1.12    | 0.92 | tremolo          | high, sharp, quavering            |
/// | `robot`       | 0.9   | 0.95    | 0.95 | robot            | a construct, a golem              |
///
/// No preset uses `cave`: even 15 dB under the voice its tail cost Whisper-base about
/// 11 points of word error rate on the giant (bench/voice-design.py); add it per scene.
public enum VoicePresets {
    public static let names = ["old_man", "child", "woman", "giant", "ghost", "guard_radio", "witch", "robot"]

    /// The preset's style, or nil for an unknown name.
    public static func style(named name: String) -> VoiceStyle? {
        var s = VoiceStyle()
        switch name {
        case "old_man": (s.pitch, s.formant, s.rate, s.effects) = (0.88, 0.94, 0.82, [.tremolo])
        case "child": (s.pitch, s.formant, s.rate, s.effects) = (1.55, 1.22, 1.08, [])
        case "woman": (s.pitch, s.formant, s.rate, s.effects) = (1.7, 1.15, 1.0, [])
        case "giant": (s.pitch, s.formant, s.rate, s.effects) = (0.7, 0.84, 0.85, [])
        case "ghost":
            (s.pitch, s.formant, s.rate, s.effects) = (1.1, 1.05, 0.85, [.whisper, .hall])
            s.gain = 1.4
        case "guard_radio": (s.pitch, s.formant, s.rate, s.effects) = (1.0, 1.0, 1.08, [.radio])
        case "witch":
            (s.pitch, s.formant, s.rate, s.effects) = (1.35, 1.12, 0.92, [.tremolo])
            s.noiseScale = 0.8
        case "robot":
            (s.pitch, s.formant, s.rate, s.effects) = (0.9, 0.95, 0.95, [.robot])
            s.noiseW = 0.2
        default: return nil
        }
        s.preset = name
        return s
    }
}
