/// The loaded voice: the VITS network, its config and the text → phoneme-id
/// pipeline (espeak-ng loaded at run time, or a phonemizer the game supplies).
public final class SpeechEngine: @unchecked Sendable {
    public let voice: PiperVoice
    public let config: VoiceConfig
    public let pipeline: TextToPhonemeIDs

    public init(onnxPath: String, phonemizer: (any Phonemizer)? = nil) throws(RuntimeError) {
        let jsonPath = onnxPath + ".json"
        config = try VoiceConfig(path: jsonPath)
        voice = try PiperVoice(onnxPath: onnxPath, sampleRate: config.sampleRate)
        pipeline = try TextToPhonemeIDs(config: config, phonemizer: phonemizer)
    }

    public var sampleRate: Int { voice.sampleRate }
}

/// How one NPC's voice differs from the base voice.
public struct VoiceStyle: Sendable, Equatable {
    /// Speaking rate: 1 is the voice's own; 1.2 is 20% faster (length scale ÷ rate).
    public var rate: Float = 1
    /// nil: the voice's defaults.
    public var noiseScale: Float?
    public var noiseW: Float?
    public var speaker: Int?
    public init() {}
}
