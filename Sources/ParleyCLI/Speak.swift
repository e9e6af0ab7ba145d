import ArgumentParser
import Foundation
import NPCRuntime

struct Speak: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "speak",
        abstract: "Synthesize speech with a Piper (VITS) voice.",
        discussion: """
            Input is phoneme ids (Piper's ^ … $ sequence with _ padding); separate \
            sentences with ';'. Sentences are spoken one after another into one output.
            """)

    @Option(name: [.customShort("v"), .long], help: "Voice .onnx (path or bare name)")
    var voice: String

    @Option(name: .long, help: "Phoneme ids, comma-separated; ';' between sentences")
    var phonemeIds: String

    @Option(name: .long, help: "Prior noise (0 = deterministic)")
    var noiseScale: Float = 0.667

    @Option(name: .long, help: "Duration noise (0 = deterministic)")
    var noiseW: Float = 0.8

    @Option(name: .long, help: "Duration multiplier (> 1 is slower)")
    var lengthScale: Float = 1

    @Option(name: .long, help: "Speaker id for multi-speaker voices")
    var speaker: Int?

    @Option(name: .long, help: "Noise seed")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Output sample rate of the voice (its .onnx.json audio.sample_rate)")
    var sampleRate: Int = 22050

    @Option(name: .shortAndLong, help: "Write a 16-bit PCM mono WAV file")
    var output: String?

    @Option(name: .long, help: "Write raw little-endian float32 samples")
    var raw: String?

    @Flag(name: .long, help: "Print sample rate and per-sentence ids, frames per id and sample counts as JSON")
    var json = false

    @Flag(name: .long, help: "Print load and synthesis times and the real-time factor to stderr")
    var timing = false

    /// The id sequences to speak, one per sentence.
    func sentences() throws -> [[Int]] {
        let parts = phonemeIds.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !parts.isEmpty else { throw ValidationError("--phoneme-ids is empty") }
        return try parts.map { part in
            try part.split(separator: ",").map { item in
                guard let id = Int(item.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--phoneme-ids: '\(item)' is not an integer")
                }
                return id
            }
        }
    }

    func validate() throws { _ = try sentences() }

    func run() throws {
        let sentences = try sentences()
        let loadStart = Date()
        let piper: PiperVoice
        do {
            piper = try PiperVoice(onnxPath: resolveModel(voice), sampleRate: sampleRate)
        } catch let error as RuntimeError {
            throw CLIFailure(error.message)
        }
        let loadSeconds = Date().timeIntervalSince(loadStart)

        var samples: [Float] = []
        var report: [String] = []
        let start = Date()
        for (n, ids) in sentences.enumerated() {
            do {
                let sentenceStart = Date()
                let out = try piper.synthesize(ids: ids, noiseScale: noiseScale, lengthScale: lengthScale,
                                               noiseW: noiseW, speaker: speaker, seed: seed)
                if timing {
                    let s = Date().timeIntervalSince(sentenceStart), audio = Double(out.samples.count) / Double(piper.sampleRate)
                    log(String(format: "sentence %d: %.3f s for %.3f s of audio: real-time factor %.3f", n + 1, s, audio, s / audio))
                }
                samples += out.samples
                report.append("{\"ids\":\(list(ids)),\"frames_per_id\":\(list(out.framesPerID)),\"n_samples\":\(out.samples.count)}")
            } catch {
                throw CLIFailure(error.message)
            }
        }
        let seconds = Date().timeIntervalSince(start)

        if let output { try writeWAV(samples, sampleRate: piper.sampleRate, to: output) }
        if let raw {
            let data = samples.withUnsafeBufferPointer { Data(buffer: $0) }
            try data.write(to: URL(fileURLWithPath: raw))
        }
        if json {
            print("{\"sample_rate\":\(piper.sampleRate),\"sentences\":[\(report.joined(separator: ","))]}")
        }
        if timing {
            let audio = Double(samples.count) / Double(piper.sampleRate)
            log(String(format: "load %.3f s, synthesis %.3f s for %.3f s of audio: real-time factor %.3f",
                       loadSeconds, seconds, audio, audio > 0 ? seconds / audio : 0))
        }
    }

    func log(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

    func list(_ values: [Int]) -> String { "[" + values.map(String.init).joined(separator: ",") + "]" }

    /// 16-bit PCM mono WAV; samples are clipped to [−1, 1] and scaled by 32767 (as Piper does).
    func writeWAV(_ samples: [Float], sampleRate: Int, to path: String) throws {
        var data = Data()
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { data.append(contentsOf: $0) } }
        func u16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { data.append(contentsOf: $0) } }
        let bytes = samples.count * 2
        data.append(contentsOf: Array("RIFF".utf8)); u32(36 + bytes)
        data.append(contentsOf: Array("WAVE".utf8))
        data.append(contentsOf: Array("fmt ".utf8)); u32(16)
        u16(1); u16(1); u32(sampleRate); u32(sampleRate * 2); u16(2); u16(16)
        data.append(contentsOf: Array("data".utf8)); u32(bytes)
        data.reserveCapacity(data.count + bytes)
        for s in samples {
            let v = Int16((max(-1, min(1, s)) * 32767).rounded())
            withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) }
        }
        try data.write(to: URL(fileURLWithPath: path))
    }
}
