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

    @Test("argument checks: ids out of range, empty ids, bad scales, unknown speaker are errors",
          .enabled(if: TestPaths.hasModel(voiceName)))
    func argumentChecks() throws {
        let voice = try Self.loaded.get()
        #expect(voice.phonemeCount == 256)
        #expect(voice.speakerCount == 1)
        let cases: [(ids: [Int], length: Float, speaker: Int?)] = [
            ([1, 0, 256, 0, 2], 1, nil), ([1, -1, 2], 1, nil), ([], 1, nil),
            ([1, 0, 2], 0, nil), ([1, 0, 2], .nan, nil), ([1, 0, 2], 1, 3),
        ]
        for c in cases {
            #expect(throws: RuntimeError.self, "\(c)") {
                try voice.synthesize(ids: c.ids, noiseScale: 0, lengthScale: c.length, noiseW: 0, speaker: c.speaker)
            }
        }
        do {
            _ = try voice.synthesize(ids: [1, 0, 300, 2], noiseScale: 0, lengthScale: 1, noiseW: 0)
        } catch {
            #expect(error.kind == .invalidArgument)
            #expect(error.message.contains("300"))
        }
        // An absurd length scale asks for more audio than one call may produce.
        #expect(throws: RuntimeError.self) { try voice.synthesize(ids: [1, 0, 2], noiseScale: 0, lengthScale: 1e6, noiseW: 0) }
    }

    @Test("noise is seeded: same seed same audio, other seed other audio; length scale stretches",
          .enabled(if: TestPaths.hasModel(voiceName)))
    func seededNoise() throws {
        let voice = try Self.loaded.get()
        let ids = [1, 0, 35, 0, 120, 0, 61, 0, 24, 0, 10, 0, 2]  // "wˈɛl."
        let a = try voice.synthesize(ids: ids, noiseScale: 0.667, lengthScale: 1, noiseW: 0.8, seed: 7)
        let b = try voice.synthesize(ids: ids, noiseScale: 0.667, lengthScale: 1, noiseW: 0.8, seed: 7)
        let c = try voice.synthesize(ids: ids, noiseScale: 0.667, lengthScale: 1, noiseW: 0.8, seed: 8)
        #expect(a.samples == b.samples && a.framesPerID == b.framesPerID)
        #expect(a.samples != c.samples)
        for out in [a, c] {
            #expect(out.samples.count == out.framesPerID.reduce(0, +) * voice.hopLength)
            #expect(out.samples.allSatisfy { $0.isFinite && abs($0) <= 1 })
        }
        let slow = try voice.synthesize(ids: ids, noiseScale: 0, lengthScale: 2, noiseW: 0)
        let normal = try voice.synthesize(ids: ids, noiseScale: 0, lengthScale: 1, noiseW: 0)
        let ratio = Double(slow.samples.count) / Double(normal.samples.count)
        #expect(ratio > 1.7 && ratio < 2.3, "length scale 2 gave \(ratio)× the samples")
    }

    @Test("damaged voice files are errors, never crashes: truncated, random bytes, flipped bits",
          .enabled(if: TestPaths.hasModel(voiceName)))
    func damagedFiles() throws {
        let path = try #require(TestPaths.model(Self.voiceName))
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func load(_ b: [UInt8]) throws { _ = try PiperVoice(graph: try ONNXGraph(bytes: b), sampleRate: 22050) }

        for n in [0, 1, 16, 1000, 100_000, bytes.count / 2, bytes.count - 1] {
            #expect(throws: ONNXError.self, "prefix of \(n) bytes") { try load(Array(bytes.prefix(n))) }
        }

        var rng = SplitMix64(seed: 42)
        let noise = (0..<4096).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("parley-random-\(getpid()).onnx")
        try Data(noise).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(throws: RuntimeError.self) { try PiperVoice(onnxPath: file.path) }

        // Flip bits in the graph's structure (nodes and tensor headers, before the first weight
        // payload); a voice that still loads must still synthesize without crashing.
        let graph = try ONNXGraph(bytes: bytes)
        let structureEnd = graph.initializers.values.compactMap { $0.rawData?.lowerBound }.min() ?? bytes.count
        var loaded = 0, rejected = 0
        var damaged = bytes
        for _ in 0..<30 {
            let at = Int(rng.next() % UInt64(structureEnd))
            let bit = UInt8(1 << (rng.next() % 8))
            damaged[at] ^= bit
            defer { damaged[at] ^= bit }
            do {
                let voice = try PiperVoice(graph: try ONNXGraph(bytes: damaged), sampleRate: 22050)
                let out = try? voice.synthesize(ids: [1, 0, 35, 0, 2], noiseScale: 0, lengthScale: 1, noiseW: 0)
                if let out { #expect(out.samples.count == out.framesPerID.reduce(0, +) * voice.hopLength) }
                loaded += 1
            } catch {
                rejected += 1
            }
        }
        print("voice bit flips: \(loaded) still load, \(rejected) rejected")
        #expect(loaded + rejected == 30)
    }
}
