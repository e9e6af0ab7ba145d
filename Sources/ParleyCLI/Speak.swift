import ArgumentParser
import Foundation
import NPCRuntime

struct Speak: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "speak",
        abstract: "Synthesize speech with a Piper (VITS) voice.",
        discussion: """
            Input is text (--text: normalized, phonemized with espeak-ng, split into sentences) \
            or phoneme ids (--phoneme-ids: Piper's ^ … $ sequence with _ padding, ';' between \
            sentences). The voice's .onnx.json beside the .onnx gives the sample rate, the \
            phoneme ids and the default scales; the scale options override them. Each sentence \
            is streamed chunk by chunk; all sentences go, in order, into one output.
            """)

    @Option(name: [.customShort("v"), .long], help: "Voice .onnx (path or bare name)")
    var voice: String

    @Option(name: .long, help: "Text to speak")
    var text: String?

    @Option(name: .long, help: "Phoneme ids, comma-separated; ';' between sentences")
    var phonemeIds: String?

    @Option(name: .long, help: "Pronunciation lexicon: a JSON object of word → IPA")
    var lexicon: String?

    @Option(name: .long, help: "Prior noise (0 = deterministic; default: the voice's)")
    var noiseScale: Float?

    @Option(name: .long, help: "Duration noise (0 = deterministic; default: the voice's)")
    var noiseW: Float?

    @Option(name: .long, help: "Duration multiplier, > 1 is slower (default: the voice's)")
    var lengthScale: Float?

    @Option(name: .long, help: "Voice preset: \(VoicePresets.names.joined(separator: ", "))")
    var preset: String?

    @Option(name: .long, help: "Voice style as JSON, e.g. {\"preset\":\"witch\",\"pitch\":1.2} (the other voice options override it)")
    var style: String?

    @Option(name: .long, help: "Pitch factor 0.5…2, duration kept")
    var pitch: Float?

    @Option(name: .long, help: "Speaking rate 0.25…4, exact (1.25 = 25% faster)")
    var rate: Float?

    @Option(name: .long, help: "Formant (vocal-tract) factor 0.7…1.4, independent of pitch")
    var formant: Float?

    @Option(name: .long, help: "Effect to chain, repeatable, in order: \(VoiceEffect.allCases.map(\.rawValue).joined(separator: ", "))")
    var effect: [String] = []

    @Option(name: .long, help: "Speaker id for multi-speaker voices")
    var speaker: Int?

    @Option(name: .long, help: "Noise seed")
    var seed: UInt64 = 0

    @Option(name: .long, help: "How the heaviest convolutions multiply: exact (as Piper) or int16")
    var precision: VoicePrecision = .exact

    @Option(name: .long, help: "Sample rate when the voice has no .onnx.json (--phoneme-ids only)")
    var sampleRate: Int = 22050

    @Option(name: .long, help: "Threads for the convolutions (including the caller)")
    var threads: Int = 1

    @Option(name: .long, help: "Frames (256 samples for medium voices) in a sentence's first chunk")
    var firstChunkFrames = StreamChunking().firstFrames

    @Option(name: .long, help: "Frames in a sentence's largest chunks")
    var maxChunkFrames = StreamChunking().maxFrames

    @Option(name: .shortAndLong, help: "Write a 16-bit PCM mono WAV file")
    var output: String?

    @Option(name: .long, help: "Write raw little-endian float32 samples")
    var raw: String?

    @Flag(name: .long, help: "Print per-sentence text, phonemes, ids, frames per id, sample counts and visemes as JSON")
    var json = false

    @Flag(name: .long, help: "Print load, first-chunk and synthesis times and the real-time factor to stderr")
    var timing = false

    /// One sentence to speak: its ids and, for text input, where they came from.
    struct Sentence {
        var text = ""
        var phonemes = ""
        var ids: [Int]
        var spans: [PhonemeIDMapper.Span] = []
    }

    func idSentences(_ list: String) throws -> [Sentence] {
        let parts = list.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !parts.isEmpty else { throw ValidationError("--phoneme-ids is empty") }
        return try parts.map { part in
            Sentence(ids: try part.split(separator: ",").map { item in
                guard let id = Int(item.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--phoneme-ids: '\(item)' is not an integer")
                }
                return id
            })
        }
    }

    func validate() throws {
        guard (text == nil) != (phonemeIds == nil) else { throw ValidationError("give exactly one of --text and --phoneme-ids") }
        if let phonemeIds { _ = try idSentences(phonemeIds) }
        guard threads >= 1, threads <= 64 else { throw ValidationError("--threads must be in 1...64") }
        guard firstChunkFrames >= 1, maxChunkFrames >= firstChunkFrames, maxChunkFrames <= 4096 else {
            throw ValidationError("chunk frames: 1 ≤ --first-chunk-frames ≤ --max-chunk-frames ≤ 4096")
        }
        _ = try voiceStyle()
    }

    /// The voice style the options describe (nil: the plain voice, bit-exact with Piper).
    func voiceStyle() throws -> VoiceStyle? {
        guard preset != nil || style != nil || pitch != nil || rate != nil || formant != nil || !effect.isEmpty else { return nil }
        do throws(RuntimeError) {
            var s = try style.map { text throws(RuntimeError) in try VoiceStyle.parse(text) } ?? VoiceStyle()
            if let preset { s = try VoiceStyle.preset(preset) }
            if let pitch { s.pitch = pitch }
            if let rate { s.rate = rate }
            if let formant { s.formant = formant }
            if !effect.isEmpty { s.effects = try effect.map { name throws(RuntimeError) in try VoiceStyle.effect(name) } }
            if let noiseScale { s.noiseScale = noiseScale }
            if let noiseW { s.noiseW = noiseW }
            try s.validate()
            return s
        } catch {
            throw ValidationError(error.message)
        }
    }

    func run() throws {
        let design = try voiceStyle()
        let path = try resolveModel(voice)
        let loadStart = Date()
        let piper: PiperVoice
        let config: VoiceConfig?
        var sentences: [Sentence]
        do {
            config = FileManager.default.fileExists(atPath: path + ".json") ? try VoiceConfig(path: path + ".json") : nil
            piper = try PiperVoice(onnxPath: path, sampleRate: config?.sampleRate ?? sampleRate, precision: precision)
            if let text {
                guard let config else { throw CLIFailure("\(path).json not found: --text needs the voice's config") }
                let words = try lexicon.map { file throws(RuntimeError) in try PronunciationLexicon(path: file) } ?? PronunciationLexicon()
                let pipeline = try TextToPhonemeIDs(config: config, lexicon: words)
                let phonemized = try pipeline.sentences(for: text)
                for s in phonemized where !s.missingPhonemes.isEmpty {
                    log("note: the voice has no id for \(s.missingPhonemes.map { "'\($0)'" }.joined(separator: " ")) (skipped)")
                }
                sentences = phonemized.map { Sentence(text: $0.text, phonemes: $0.phonemes, ids: $0.ids, spans: $0.spans) }
            } else {
                sentences = try idSentences(phonemeIds ?? "")
            }
        } catch let error as RuntimeError {
            throw CLIFailure(error.message)
        }
        let loadSeconds = Date().timeIntervalSince(loadStart)
        var scales = config.map { VoiceScales(config: $0) } ?? VoiceScales()
        if let noiseScale { scales.noise = noiseScale }
        if let lengthScale { scales.length = lengthScale }
        if let noiseW { scales.noiseW = noiseW }
        if let design {
            scales.noise = design.noiseScale ?? scales.noise
            scales.noiseW = design.noiseW ?? scales.noiseW
            scales.stretch = design.pitch / design.rate
        }
        // one chain for the whole run, as a turn keeps one: effect state runs on between sentences
        let chain = design.flatMap { $0.isPlain ? nil : VoiceDesignChain(style: $0, sampleRate: piper.sampleRate) }
        let pool = threads > 1 ? ThreadPool(count: threads) : nil

        var samples: [Float] = []
        var report: [String] = []
        let start = Date()
        for (n, sentence) in sentences.enumerated() {
            let sentenceStart = Date()
            var firstChunk: TimeInterval?
            let stream: SentenceStream
            do {
                stream = try piper.startSentence(ids: sentence.ids, spans: sentence.spans, scales: scales, speaker: speaker,
                                                 seed: seed, threads: pool,
                                                 chunking: StreamChunking(firstFrames: firstChunkFrames, maxFrames: maxChunkFrames))
            } catch {
                throw CLIFailure(error.message)
            }
            let count = chain?.beginSentence(inputCount: stream.sampleCount) ?? stream.sampleCount
            samples.reserveCapacity(samples.count + count)
            let sentenceFirst = samples.count
            while let chunk = stream.next() {
                if let chain {
                    let out = chain.process(chunk.samples, isLast: chunk.isLast)
                    if firstChunk == nil && !out.isEmpty { firstChunk = Date().timeIntervalSince(sentenceStart) }
                    samples += out
                } else {
                    if firstChunk == nil { firstChunk = Date().timeIntervalSince(sentenceStart) }
                    samples += chunk.samples
                }
            }
            guard samples.count - sentenceFirst == count else {
                throw CLIFailure("internal: sentence \(n + 1) came out \(samples.count - sentenceFirst) samples long, expected \(count)")
            }
            if timing {
                let s = Date().timeIntervalSince(sentenceStart), audio = Double(count) / Double(piper.sampleRate)
                log(String(format: "sentence %d: first chunk after %.1f ms, whole %.1f ms for %.3f s of audio: real-time factor %.3f",
                           n + 1, 1000 * (firstChunk ?? s), 1000 * s, audio, s / audio))
            }
            let spans = chain == nil ? stream.visemes : VoiceDesignChain.scale(stream.visemes, from: stream.sampleCount, to: count)
            let visemes = spans.map { #"{"viseme":"\#($0.viseme.rawValue)","start":\#($0.start),"end":\#($0.end)}"# }
            report.append(#"{"text":\#(jsonString(sentence.text)),"phonemes":\#(jsonString(sentence.phonemes)),"ids":\#(list(sentence.ids)),"frames_per_id":\#(list(stream.framesPerID)),"n_samples":\#(count),"visemes":[\#(visemes.joined(separator: ","))]}"#)
        }
        let seconds = Date().timeIntervalSince(start)

        if let output { try WAVFile.write(samples, sampleRate: piper.sampleRate, to: output) }
        if let raw {
            let data = samples.withUnsafeBufferPointer { Data(buffer: $0) }
            try data.write(to: URL(fileURLWithPath: raw))
        }
        if json {
            print("{\"sample_rate\":\(piper.sampleRate),\"sentences\":[\(report.joined(separator: ","))]}")
        }
        if timing {
            let audio = Double(samples.count) / Double(piper.sampleRate)
            log(String(format: "load %.3f s, synthesis %.3f s for %.3f s of audio (%d sentences, %d threads): real-time factor %.3f",
                       loadSeconds, seconds, audio, sentences.count, threads, audio > 0 ? seconds / audio : 0))
        }
    }

    func log(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

    func list(_ values: [Int]) -> String { "[" + values.map(String.init).joined(separator: ",") + "]" }

    /// 16-bit PCM mono WAV; samples are clipped to [−1, 1] and scaled by 32767 (as Piper does).
}

/// A JSON string literal (the library's own escaping).
func jsonString(_ s: String) -> String {
    var out = ""
    JSONValue.writeString(s, to: &out)
    return out
}
