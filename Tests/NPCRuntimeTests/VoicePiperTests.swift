import Foundation
import Testing
@testable import NPCRuntime

/// The native VITS path against Piper 1.8.0 + onnxruntime (shared/reference/vits).
@Suite("Voice: Piper VITS vs reference", .serialized)
struct VoicePiperTests {
    static let voiceName = "en_US-joe-medium.onnx"

    /// Loaded once for the suite (mmap; the weights are shared, not copied).
    static let loaded: Result<PiperVoice, RuntimeError> = {
        guard let path = TestPaths.model(voiceName) else { return .failure(RuntimeError(.fileNotFound, "\(voiceName) not found")) }
        return Result { () throws(RuntimeError) in try PiperVoice(onnxPath: path) }
    }()

    struct Case {
        let name: String
        let ids: [Int]
        let framesPerID: [Int]
        let nSamples: Int
        let audio: String
    }

    static func cases() throws -> [Case] {
        let root = try #require(TestPaths.loadJSON(TestPaths.referenceFile("vits/cases.json")) as? [String: Any])
        let cases = try #require(root["cases"] as? [[String: Any]])
        return try cases.map { c in
            let audio = try #require(c["audio_f32le"] as? String)
            return Case(name: "\(c["text"] ?? "?") [\(c["sentence"] ?? 0)]",
                        ids: try #require(c["ids"] as? [Int]), framesPerID: try #require(c["frames_per_id"] as? [Int]),
                        nSamples: try #require(c["n_samples"] as? Int), audio: audio)
        }
    }

    /// 10·log10(Σ ref² / Σ (ref − ours)²), in dB.
    static func snr(_ ours: UnsafeBufferPointer<Float>, _ ref: [Float]) -> Double {
        var signal = 0.0, error = 0.0
        for i in 0..<min(ours.count, ref.count) {
            signal += Double(ref[i]) * Double(ref[i])
            let d = Double(ref[i]) - Double(ours[i])
            error += d * d
        }
        return error == 0 ? .infinity : 10 * log10(signal / error)
    }

    @Test("every reference case: frames exact, sample count exact, waveform SNR ≥ 60 dB",
          .enabled(if: TestPaths.hasModel(voiceName) && TestPaths.hasReference("vits/cases.json")))
    func allCases() throws {
        let voice = try Self.loaded.get()
        #expect(voice.hopLength == 256)
        for c in try Self.cases() {
            let start = Date()
            let out = try voice.synthesize(ids: c.ids, noiseScale: 0, lengthScale: 1, noiseW: 0)
            let seconds = Date().timeIntervalSince(start)
            #expect(out.framesPerID == c.framesPerID, "\(c.name)")
            #expect(out.samples.count == c.nSamples, "\(c.name)")
            let ref = try TestPaths.loadFloats(TestPaths.referenceFile("vits/" + c.audio))
            let snr = out.samples.withUnsafeBufferPointer { Self.snr($0, ref) }
            print("voice case \(c.audio): \(c.ids.count) ids, \(out.samples.count) samples, SNR \(String(format: "%.1f", snr)) dB, \(String(format: "%.2f", seconds)) s")
            #expect(snr >= 60, "\(c.name): SNR \(snr) dB")
        }
    }

    @Test("stage by stage against the reference's intermediate tensors (case 0)",
          .enabled(if: TestPaths.hasModel(voiceName) && TestPaths.hasReference("vits/stages/stages.json")))
    func stages() throws {
        let voice = try Self.loaded.get()
        let stages = try #require(TestPaths.loadJSON(TestPaths.referenceFile("vits/stages/stages.json")) as? [String: Any])
        let first = try #require(try Self.cases().first)
        var seen: [String: Double] = [:]
        _ = try voice.model.synthesize(ids: first.ids, scales: .init(noise: 0, length: 1, noiseW: 0), speaker: nil, seed: 0) { name, map in
            guard stages[name] != nil, let ref = try? TestPaths.loadFloats(TestPaths.referenceFile("vits/stages/\(name).f32")) else { return }
            #expect(map.count == ref.count, "\(name): \(map.count) values, reference \(ref.count)")
            seen[name] = Self.snr(UnsafeBufferPointer(start: map.data, count: map.count), ref)
        }
        for (name, snr) in seen.sorted(by: { $0.key < $1.key }) {
            print("voice stage \(name): SNR \(String(format: "%.1f", snr)) dB")
            #expect(snr >= 60, "\(name): SNR \(snr) dB")
        }
        #expect(seen.count == stages.count - 1, "stages compared: \(seen.keys.sorted())")  // w_ceil is checked as frames
    }
}
