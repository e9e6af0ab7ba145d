/// Text in, speech out: a Piper voice with its config, the text pipeline
/// (normalizer, lexicon, phonemizer, id map) and the threads it may use.
///
///     let speech = try SpeechSynthesizer(voicePath: "models/en_US-joe-medium.onnx", threads: 2)
///     for sentence in try speech.sentences(for: "Well met, traveler. The road is long.") {
///         let stream = try speech.start(sentence)
///         // stream.visemes: the sentence's lip-sync track, in samples
///         while let chunk = stream.next() { play(chunk.samples) }  // first chunk after ~tens of ms
///     }
///
/// The voice itself is shared and immutable; a synthesizer owns a thread pool,
/// so it (and the streams it starts) serve one thread at a time: it may move
/// between threads (hence Sendable), never be used by two at once. Several
/// synthesizers may share one `PiperVoice`.
public final class SpeechSynthesizer: @unchecked Sendable {
    public let voice: PiperVoice
    public let config: VoiceConfig
    public let text: TextToPhonemeIDs
    /// Used by `start` unless it is given others; the voice's defaults at first.
    public var scales: VoiceScales
    public var chunking: StreamChunking
    /// Threads the convolutions use, including the caller's.
    public let threads: Int
    private let pool: ThreadPool?
    /// The last stream's decoder scratch and workspace, reused once no stream holds them.
    private var spare: HiFiGANGenerator.Scratch?
    private var spareWorkspace: VoiceWorkspace?

    /// Loads a voice's `.onnx` and the `.onnx.json` beside it (sample rate, default
    /// scales, phoneme ids, espeak-ng voice). phonemizer nil: espeak-ng, loaded at run time.
    /// precision: how the voice's heaviest convolutions multiply (`PiperVoice`).
    public convenience init(voicePath: String, lexicon: PronunciationLexicon = PronunciationLexicon(),
                            phonemizer: (any Phonemizer)? = nil, normalizer: TextNormalizer? = TextNormalizer(),
                            threads: Int = 1, precision: VoicePrecision = .exact) throws(RuntimeError) {
        let config = try VoiceConfig(path: voicePath + ".json")
        let voice = try PiperVoice(onnxPath: voicePath, sampleRate: config.sampleRate, precision: precision)
        guard config.numSymbols <= voice.phonemeCount else {
            throw RuntimeError(.voice, "\(voicePath).json declares \(config.numSymbols) phoneme symbols; the model has \(voice.phonemeCount)")
        }
        let text = try TextToPhonemeIDs(config: config, phonemizer: phonemizer, normalizer: normalizer, lexicon: lexicon)
        self.init(voice: voice, config: config, text: text, threads: threads)
    }

    public init(voice: PiperVoice, config: VoiceConfig, text: TextToPhonemeIDs, threads: Int = 1) {
        self.voice = voice
        self.config = config
        self.text = text
        scales = VoiceScales(config: config)
        chunking = StreamChunking()
        self.threads = max(1, threads)
        pool = self.threads > 1 ? ThreadPool(count: self.threads) : nil
    }

    public var sampleRate: Int { voice.sampleRate }

    /// The sentences of `text`, phonemized and mapped to ids (empty when there is nothing to say).
    public func sentences(for text: String) throws(RuntimeError) -> [PhonemizedSentence] {
        try self.text.sentences(for: text)
    }

    /// `text` as one utterance (see `TextToPhonemeIDs.utterance`).
    public func utterance(for text: String) throws(RuntimeError) -> PhonemizedSentence? {
        try self.text.utterance(for: text)
    }

    /// Starts streaming one sentence; the stream carries its visemes.
    public func start(_ sentence: PhonemizedSentence, scales: VoiceScales? = nil, speaker: Int? = nil,
                      seed: UInt64 = 0) throws(RuntimeError) -> SentenceStream {
        let free = isKnownUniquelyReferenced(&spare) ? spare : nil
        let freeWorkspace = isKnownUniquelyReferenced(&spareWorkspace) ? spareWorkspace : nil
        let stream = try voice.startSentence(ids: sentence.ids, spans: sentence.spans, scales: scales ?? self.scales,
                                             speaker: speaker, seed: seed, threads: pool, chunking: chunking, spare: free,
                                             spareWorkspace: freeWorkspace)
        spare = stream.scratch
        spareWorkspace = stream.workspace
        return stream
    }

    /// One sentence's whole audio at once.
    public func synthesize(_ sentence: PhonemizedSentence, scales: VoiceScales? = nil, speaker: Int? = nil,
                           seed: UInt64 = 0) throws(RuntimeError) -> (samples: [Float], framesPerID: [Int]) {
        let s = scales ?? self.scales
        return try voice.synthesize(ids: sentence.ids, noiseScale: s.noise, lengthScale: s.length, noiseW: s.noiseW,
                                    speaker: speaker, seed: seed, threads: pool)
    }
}
