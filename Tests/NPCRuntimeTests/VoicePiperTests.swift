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

    /// The joe graph grown into a multi-speaker one: a `sid` input, a speaker table and the
    /// speaker-conditioning convolutions VITS adds (dp.cond, each flow's WN cond_layer, dec.cond),
    /// with weights from `weight(i)` (i counts values across all added tensors).
    static func multiSpeakerModel(_ bytes: [UInt8], speakers: Int, gin: Int, weight: (Int) -> Float) throws -> [UInt8] {
        var counter = 0
        func tensor(_ g: inout ProtobufWriter, _ name: String, _ dims: [Int64]) {
            let n = dims.reduce(1, *)
            let values = (0..<Int(n)).map { _ in defer { counter += 1 }; return weight(counter) }
            g.message(5) { t in t.packedInts(1, dims); t.int(2, 1); t.string(8, name); t.data(9, ProtobufWriter.floatBytes(values)) }
        }
        func conv(_ g: inout ProtobufWriter, _ scope: String, out: Int64) {
            tensor(&g, scope + ".w", [out, Int64(gin), 1])
            tensor(&g, scope + ".b", [out])
            g.message(1) { n in
                n.string(1, "g"); n.string(1, scope + ".w"); n.string(1, scope + ".b"); n.string(2, scope + ".out")
                n.string(3, scope + "/Conv"); n.string(4, "Conv")
            }
        }
        var extra = ProtobufWriter()
        tensor(&extra, "emb_g.weight", [Int64(speakers), Int64(gin)])
        extra.message(1) { n in n.string(1, "emb_g.weight"); n.string(1, "sid"); n.string(2, "g"); n.string(3, "/emb_g/Gather"); n.string(4, "Gather") }
        conv(&extra, "/dp/cond", out: 192)
        for f in [0, 2, 4, 6] { conv(&extra, "/flow/flows.\(f)/enc/cond_layer", out: 2 * 192 * 4) }
        conv(&extra, "/dec/cond", out: 256)
        extra.message(11) { v in v.string(1, "sid"); v.message(2) { ty in ty.message(1) { tt in tt.int(1, 7) } } }

        // Re-emit the model with the graph (field 7) extended; repeated fields may be appended.
        var model = ProtobufWriter()
        try bytes.withUnsafeBytes { raw in
            var r = try ProtobufReader(raw, range: 0..<raw.count)
            while let f = try r.next() {
                guard case let .bytes(range) = f.value else { continue }
                var payload = Array(raw[range])
                if f.number == 7 { payload += extra.bytes }
                model.data(f.number, payload)
            }
        }
        return model.bytes
    }

    @Test("multi-speaker wiring: zero conditioning reproduces the single-speaker voice, real conditioning varies by speaker",
          .enabled(if: TestPaths.hasModel(voiceName)))
    func multiSpeaker() throws {
        let voice = try Self.loaded.get()
        let path = try #require(TestPaths.model(Self.voiceName))
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let ids = [1, 0, 35, 0, 120, 0, 61, 0, 24, 0, 10, 0, 2]
        let single = try voice.synthesize(ids: ids, noiseScale: 0, lengthScale: 1, noiseW: 0)

        let silent = try PiperVoice(graph: ONNXGraph(bytes: Self.multiSpeakerModel(bytes, speakers: 3, gin: 4) { _ in 0 }), sampleRate: 22050)
        #expect(silent.speakerCount == 3)
        let zero = try silent.synthesize(ids: ids, noiseScale: 0, lengthScale: 1, noiseW: 0, speaker: 2)
        #expect(zero.framesPerID == single.framesPerID)
        #expect(zero.samples == single.samples)
        #expect(throws: RuntimeError.self) { try silent.synthesize(ids: ids, noiseScale: 0, lengthScale: 1, noiseW: 0, speaker: 3) }

        var rng = SplitMix64(seed: 3)
        let table = (0..<100_000).map { _ in (rng.nextFloat() - 0.5) * 0.2 }
        let varied = try PiperVoice(graph: ONNXGraph(bytes: Self.multiSpeakerModel(bytes, speakers: 3, gin: 4) { table[$0 % table.count] }), sampleRate: 22050)
        let a = try varied.synthesize(ids: ids, noiseScale: 0, lengthScale: 1, noiseW: 0, speaker: 0)
        let b = try varied.synthesize(ids: ids, noiseScale: 0, lengthScale: 1, noiseW: 0, speaker: 1)
        #expect(a.samples != b.samples)
        #expect(a.samples != single.samples)
        for out in [a, b] {
            #expect(out.samples.count == out.framesPerID.reduce(0, +) * varied.hopLength)
            #expect(out.samples.allSatisfy { $0.isFinite && abs($0) <= 1 })
        }
    }
}
