import ArgumentParser
import Foundation
import Kernels
import NPCRuntime

/// `parley bench voice`: real-time factor on a fixed paragraph, and for a
/// 15-word sentence the time to its first audio chunk and to all of it;
/// medians over several runs after a warm-up. Text → audio is timed whole
/// (normalization and espeak-ng included), as Piper's `synthesize` is.
struct BenchVoice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voice",
        abstract: "Real-time factor, time to first audio chunk and to whole sentence of a Piper voice.")

    /// The default texts; bench/voice-vs-piper.sh passes the same ones to both engines.
    static let defaultSentence = "The lighthouse keeper lit the lamp every night for forty years before the storm came."
    static let defaultParagraph = defaultSentence + " Nobody in the village remembers what happened to him. Some say he sailed away; "
        + "others say the sea took him. If you find his journal, bring it to me, and I will pay you twelve silver coins."

    @Option(name: [.customShort("v"), .long], help: "Voice .onnx (path or bare name)") var voice: String
    @Option(help: "Text for the real-time factor") var paragraph = Self.defaultParagraph
    @Option(help: "Sentence for the latencies") var sentence = Self.defaultSentence
    @Option(help: "Threads (including the caller)") var threads: Int = 1
    @Option(help: "Runs (median reported)") var runs: Int = 5
    @Option(help: "Prior noise (default: the voice's)") var noiseScale: Float?
    @Option(help: "Duration multiplier (default: the voice's)") var lengthScale: Float?
    @Option(help: "Duration noise (default: the voice's)") var noiseW: Float?
    @Option(help: "Voice preset applied after the voice (docs/voice-design.md): its cost is timed too") var preset: String?
    @Option(help: "Frames in a sentence's first chunk") var firstChunkFrames = StreamChunking().firstFrames
    @Option(help: "Frames in its largest chunks") var maxChunkFrames = StreamChunking().maxFrames
    @Option(help: "How the heaviest convolutions multiply: exact (as Piper) or int16") var precision: VoicePrecision = .exact
    @Flag(help: "Print one JSON object") var json = false

    struct Timing {
        var seconds = 0.0
        /// CPU time of the calling thread: the work itself, even when other processes share the cores.
        var cpuSeconds = 0.0
        var audio = 0.0
    }

    static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    func run() throws {
        guard threads >= 1, threads <= 64, runs >= 1 else { throw ValidationError("--threads must be 1…64 and --runs ≥ 1") }
        let speech: SpeechSynthesizer
        do {
            speech = try SpeechSynthesizer(voicePath: resolveModel(voice), threads: threads, precision: precision)
        } catch let error as RuntimeError {
            throw CLIFailure(error.message)
        }
        speech.chunking = StreamChunking(firstFrames: firstChunkFrames, maxFrames: maxChunkFrames)
        if let noiseScale { speech.scales.noise = noiseScale }
        if let lengthScale { speech.scales.length = lengthScale }
        if let noiseW { speech.scales.noiseW = noiseW }
        let rate = Double(speech.sampleRate)
        var design: VoiceStyle?
        if let preset {
            do throws(RuntimeError) { design = try VoiceStyle.preset(preset) } catch { throw CLIFailure(error.message) }
        }
        if let design {
            speech.scales.noise = design.noiseScale ?? speech.scales.noise
            speech.scales.noiseW = design.noiseW ?? speech.scales.noiseW
            speech.scales.stretch = design.pitch / design.rate
        }
        // One chain per paragraph, as a turn keeps one.
        func makeChain() -> VoiceDesignChain? {
            design.flatMap { $0.isPlain ? nil : VoiceDesignChain(style: $0, sampleRate: speech.sampleRate) }
        }

        // Whole paragraph, streamed sentence by sentence (what a game hears).
        func speakParagraph(streamed: Bool) throws(RuntimeError) -> Timing {
            let t0 = monotonicMs(), c0 = Self.threadCPUSeconds()
            var samples = 0
            let chain = makeChain()
            for s in try speech.sentences(for: paragraph) {
                if streamed {
                    let stream = try speech.start(s)
                    _ = chain?.beginSentence(inputCount: stream.sampleCount)
                    while let chunk = stream.next() {
                        samples += chain?.process(chunk.samples, isLast: chunk.isLast).count ?? chunk.samples.count
                    }
                } else {
                    let audio = try speech.synthesize(s).samples
                    _ = chain?.beginSentence(inputCount: audio.count)
                    samples += audio.withUnsafeBufferPointer { chain?.process($0, isLast: true).count } ?? audio.count
                }
            }
            return Timing(seconds: (monotonicMs() - t0) / 1000, cpuSeconds: Self.threadCPUSeconds() - c0, audio: Double(samples) / rate)
        }

        // The 15-word sentence: text in → first chunk out, and → last chunk out.
        func speakSentence() throws(RuntimeError) -> (first: Double, whole: Double, phonemize: Double, prepare: Double, audio: Double) {
            let t0 = monotonicMs()
            var first = 0.0, samples = 0, prepare = 0.0
            let sentences = try speech.sentences(for: sentence)
            let phonemize = monotonicMs() - t0
            let chain = makeChain()
            for s in sentences {
                let stream = try speech.start(s)
                _ = chain?.beginSentence(inputCount: stream.sampleCount)
                prepare = monotonicMs() - t0
                while let chunk = stream.next() {
                    let out = chain?.process(chunk.samples, isLast: chunk.isLast).count ?? chunk.samples.count
                    if first == 0 && out > 0 { first = monotonicMs() - t0 }
                    samples += out
                }
            }
            return (first, monotonicMs() - t0, phonemize, prepare, Double(samples) / rate)
        }

        var streamed: [Double] = [], streamedCPU: [Double] = [], whole: [Double] = [], first: [Double] = [], sentenceMs: [Double] = [], phonemize: [Double] = [], prepare: [Double] = []
        var audio = 0.0, sentenceAudio = 0.0
        do {
            _ = try speakParagraph(streamed: true)  // warm-up: page in the weights, espeak-ng's data
            for _ in 0..<runs {
                let s = try speakParagraph(streamed: true)
                streamed.append(s.seconds / s.audio)
                streamedCPU.append(s.cpuSeconds / s.audio)
                audio = s.audio
                let w = try speakParagraph(streamed: false)
                whole.append(w.seconds / w.audio)
                let one = try speakSentence()
                first.append(one.first)
                sentenceMs.append(one.whole)
                prepare.append(one.prepare)
                phonemize.append(one.phonemize)
                sentenceAudio = one.audio
            }
        } catch {
            throw CLIFailure(error.message)
        }
        let words = sentence.split(separator: " ").count
        let r3 = { (v: Double) in (v * 1000).rounded() / 1000 }
        // Real-time factors near 0.02 need a fourth decimal to tell a 5% change.
        let r4 = { (v: Double) in (v * 10000).rounded() / 10000 }
        let level = String(cString: pk_cpu_level_name(pk_cpu_level()))
        if json {
            print(#"{"voice":\#(jsonString(voice)),"cpu_level":\#(jsonString(level)),"precision":\#(jsonString(precision.rawValue)),"threads":\#(threads),"runs":\#(runs),"audio_s":\#(r3(audio)),"rtf":\#(r4(median(streamed))),"rtf_whole":\#(r4(median(whole))),"rtf_caller_cpu":\#(r4(median(streamedCPU))),"sentence_words":\#(words),"sentence_audio_s":\#(r3(sentenceAudio)),"first_chunk_ms":\#(round1(median(first))),"phonemize_ms":\#(round1(median(phonemize))),"prepare_ms":\#(round1(median(prepare))),"sentence_ms":\#(round1(median(sentenceMs)))}"#)
        } else {
            print("voice \(voice) (\(precision.rawValue)), CPU level \(level), \(threads) thread\(threads == 1 ? "" : "s"), median of \(runs) runs")
            print("paragraph (\(String(format: "%.2f", audio)) s of audio): real-time factor \(r4(median(streamed))) streamed, \(r4(median(whole))) whole sentences (caller's CPU time: \(r4(median(streamedCPU))) streamed)")
            print("\(words)-word sentence (\(String(format: "%.2f", sentenceAudio)) s): first chunk after \(round1(median(first))) ms (text → ids \(round1(median(phonemize))) ms, + encoder and durations \(round1(median(prepare))) ms), whole sentence \(round1(median(sentenceMs))) ms")
        }
    }
}
