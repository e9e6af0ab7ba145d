import Foundation
import Testing
@testable import NPCRuntime

/// Windowed decoding on a tiny random HiFi-GAN: any cut into windows gives the whole-sentence output.
@Suite struct HiFiGANWindowTests {
    static func conv(_ rng: inout SplitMix64, _ cin: Int, _ cout: Int, _ k: Int, dilation: Int = 1, padLeft: Int? = nil) -> Conv1d {
        let w = (0..<(cout * cin * k)).map { _ in (rng.nextFloat() - 0.5) / Float(cin * k).squareRoot() }
        let b = (0..<cout).map { _ in (rng.nextFloat() - 0.5) * 0.1 }
        return Conv1d(weight: WeightBuffer(copying: w), bias: WeightBuffer(copying: b), inChannels: cin, outChannels: cout,
                      kernel: k, dilation: dilation, padLeft: padLeft ?? dilation * (k - 1) / 2, depthwise: false)
    }

    static func upsampler(_ rng: inout SplitMix64, _ cin: Int, _ cout: Int, kernel: Int, stride: Int) -> ConvTranspose1d {
        let w = (0..<(cin * cout * kernel)).map { _ in (rng.nextFloat() - 0.5) / Float(cin).squareRoot() }
        let b = (0..<cout).map { _ in (rng.nextFloat() - 0.5) * 0.1 }
        return ConvTranspose1d(weight: WeightBuffer(copying: w), bias: WeightBuffer(copying: b), inChannels: cin, outChannels: cout,
                               kernel: kernel, stride: stride, padding: (kernel - stride) / 2)
    }

    /// Two stages (×4, ×2); ResBlock1-style pairs and ResBlock2-style singles, one asymmetric padding.
    static func generator() -> HiFiGANGenerator {
        var rng = SplitMix64(seed: 5)
        let blocks = [
            HiFiGANResBlock(units: [[conv(&rng, 6, 6, 3), conv(&rng, 6, 6, 3)], [conv(&rng, 6, 6, 3, dilation: 3), conv(&rng, 6, 6, 3)]], slope: 0.1),
            HiFiGANResBlock(units: [[conv(&rng, 6, 6, 5, dilation: 2)], [conv(&rng, 6, 6, 4, padLeft: 1)]], slope: 0.1),
            HiFiGANResBlock(units: [[conv(&rng, 4, 4, 3, dilation: 5)]], slope: 0.2),
            HiFiGANResBlock(units: [[conv(&rng, 4, 4, 7, dilation: 2), conv(&rng, 4, 4, 3)]], slope: 0.1),
        ]
        return HiFiGANGenerator(pre: conv(&rng, 3, 8, 7), upsamplers: [upsampler(&rng, 8, 6, kernel: 8, stride: 4), upsampler(&rng, 6, 4, kernel: 4, stride: 2)],
                                resBlocks: blocks, kernelsPerStage: 2, post: conv(&rng, 4, 1, 7), speakerCondition: nil,
                                upsampleSlope: 0.1, finalSlope: 0.01)
    }

    static func decode(_ g: HiFiGANGenerator, _ z: FeatureMap, windows: [Int], pool: ThreadPool? = nil) -> [Float] {
        let workspace = VoiceWorkspace(pool: pool)
        let widest = windows.max() ?? 1
        let scratch = HiFiGANGenerator.Scratch(maxFrames: widest, capacity: g.scratchCapacity(maxFrames: widest, totalFrames: z.length), pairs: g.needsPairScratch)
        var out = [Float](repeating: .nan, count: z.length * g.hopLength)
        out.withUnsafeMutableBufferPointer { p in
            var f = 0, i = 0
            while f < z.length {
                let n = min(windows[i % windows.count], z.length - f)
                g.decode(z, frames: f ..< f + n, speakerBias: nil, scratch: scratch, workspace: workspace, into: p.baseAddress! + f * g.hopLength)
                f += n
                i += 1
            }
        }
        return out
    }

    @Test func windowsEqualTheWholeSentence() {
        let g = Self.generator()
        #expect(g.hopLength == 8)
        let context = g.contextFrames
        #expect(context.before > 0 && context.after > 0)
        let workspace = VoiceWorkspace()
        var rng = SplitMix64(seed: 9)
        for frames in [1, 2, 7, 40] {
            let z = workspace.map(3, frames)
            for i in 0..<z.count { z.data[i] = rng.nextFloat() * 2 - 1 }
            let whole = Self.decode(g, z, windows: [frames])
            #expect(whole.allSatisfy { $0.isFinite })
            let pool = ThreadPool(count: 2)
            for windows in [[1], [2], [3, 1, 5], [16], [frames]] {
                for p in [nil, pool] {
                    let parts = Self.decode(g, z, windows: windows, pool: p)
                    let worst = zip(parts, whole).map { abs($0 - $1) }.max() ?? 0
                    #expect(worst < 1e-5, "\(frames) frames in windows \(windows): worst difference \(worst)")
                }
            }
        }
    }

    @Test func scratchCapacityBoundsEveryWindow() {
        let g = Self.generator()
        for (maxFrames, total) in [(1, 1), (1, 50), (4, 50), (16, 10), (64, 200)] {
            let capacity = g.scratchCapacity(maxFrames: maxFrames, totalFrames: total)
            for start in 0..<total {
                let frames = start ..< min(total, start + maxFrames)
                var need = g.pre.outChannels * g.preColumns(frames: frames, totalFrames: total).count
                for s in 0..<g.upsamplers.count {
                    let out = g.stageOutputColumns(s, frames: frames, totalFrames: total)
                    need = max(need, g.upsamplers[s].outChannels * g.upsampledColumns(s, output: out, totalFrames: total).count)
                }
                #expect(need <= capacity, "window \(frames) of \(total) needs \(need) > \(capacity)")
            }
        }
    }
}

/// The reversed flow run window by window equals it run whole, however the windows fall.
@Suite struct FlowWindowTests {
    static func flow() throws -> ResidualCouplingFlow {
        var rng = SplitMix64(seed: 8)
        let half = 3, hidden = 5
        func layer() -> ResidualCouplingLayer {
            let wn = WaveNet(layers: [
                .init(input: HiFiGANWindowTests.conv(&rng, hidden, 2 * hidden, 5), residualSkip: HiFiGANWindowTests.conv(&rng, hidden, 2 * hidden, 1)),
                .init(input: HiFiGANWindowTests.conv(&rng, hidden, 2 * hidden, 3, dilation: 2), residualSkip: HiFiGANWindowTests.conv(&rng, hidden, hidden, 1)),
            ], speakerCondition: nil, hidden: hidden)
            return ResidualCouplingLayer(pre: HiFiGANWindowTests.conv(&rng, half, hidden, 1), wavenet: wn, post: HiFiGANWindowTests.conv(&rng, hidden, half, 1))
        }
        return try ResidualCouplingFlow(layers: [layer(), layer(), layer(), layer()])
    }

    static func run(_ flow: ResidualCouplingFlow, _ prior: [Float], frames: Int, window: Int, steps: [Int]) -> [Float] {
        let workspace = VoiceWorkspace()
        let z = workspace.map(6, frames)
        z.data.update(from: prior, count: prior.count)
        let run = flow.start(z, window: window, speaker: nil, workspace: workspace)
        var i = 0
        while run.ready < frames {
            flow.advance(run, to: min(frames, run.ready + steps[i % steps.count]), workspace: workspace)
            i += 1
        }
        return Array(UnsafeBufferPointer(start: z.data, count: z.count))
    }

    @Test func windowsEqualTheWholeFlow() throws {
        let flow = try Self.flow()
        #expect(flow.stepContext == 4)  // k5 d1 (2) + k3 d2 (2)
        #expect(throws: ONNXError.self) { try ResidualCouplingFlow(layers: Array(flow.steps.map(\.layer).prefix(3))) }
        var rng = SplitMix64(seed: 2)
        for frames in [1, 3, 17, 90] {
            let prior = (0..<(6 * frames)).map { _ in rng.nextFloat() * 2 - 1 }
            let whole = Self.run(flow, prior, frames: frames, window: frames, steps: [frames])
            #expect(whole != prior)
            for (window, steps) in [(1, [1]), (2, [3, 1]), (7, [5]), (16, [1, 16, 2]), (128, [40])] {
                let parts = Self.run(flow, prior, frames: frames, window: window, steps: steps)
                let worst = zip(parts, whole).map { abs($0 - $1) }.max() ?? 0
                #expect(worst < 1e-5, "\(frames) frames, window \(window), steps \(steps): worst \(worst)")
            }
        }
    }
}

/// Streaming the real voice: chunks equal the whole sentence on every reference case.
@Suite("Voice: streaming vs whole sentence", .serialized)
struct VoiceStreamTests {
    static let voiceName = "en_US-joe-medium.onnx"
    static let enabled = TestPaths.hasModel(voiceName) && TestPaths.hasReference("vits/cases.json")

    static func stream(_ voice: PiperVoice, ids: [Int], chunking: StreamChunking, threads: ThreadPool? = nil) throws -> (samples: [Float], chunks: [AudioChunk], stream: SentenceStream) {
        let stream = try voice.startSentence(ids: ids, scales: VoiceScales(noise: 0, length: 1, noiseW: 0), threads: threads, chunking: chunking)
        var samples: [Float] = [], chunks: [AudioChunk] = []
        while let chunk = stream.next() {
            #expect(chunk.offset == samples.count)
            samples += chunk.samples
            chunks.append(chunk)
        }
        #expect(stream.next() == nil)
        return (samples, chunks, stream)
    }

    @Test("every reference case: streamed equals whole ≥ 50 dB, also with tiny chunks and two threads", .enabled(if: enabled))
    func everyCase() throws {
        let voice = try VoicePiperTests.loaded.get()
        // conv_pre 3 + ups0 → 8 frames; 45 samples of blocks at ×8 and ×64, 48 at ×256 (k7 d12 + d3, conv_post)
        // shrink to 8 and 13 columns through the upsamplers: 11 latent frames each side.
        #expect(voice.model.decoder.contextFrames == (11, 11))
        let pool = ThreadPool(count: 2)
        for (n, c) in try VoicePiperTests.cases().enumerated() {
            let whole = try voice.synthesize(ids: c.ids, noiseScale: 0, lengthScale: 1, noiseW: 0)
            let ref = try TestPaths.loadFloats(TestPaths.referenceFile("vits/" + c.audio))
            var chunkings = [StreamChunking()]
            if n == 0 || n == 3 { chunkings.append(StreamChunking(firstFrames: 1, maxFrames: 3)) }
            for chunking in chunkings {
                for threads in [nil, pool] {
                    let s = try Self.stream(voice, ids: c.ids, chunking: chunking, threads: threads)
                    #expect(s.samples.count == whole.samples.count && s.stream.sampleCount == whole.samples.count)
                    #expect(s.stream.framesPerID == c.framesPerID)
                    #expect(s.chunks.last?.isLast == true && s.chunks.dropLast().allSatisfy { !$0.isLast })
                    let sizes = s.chunks.map { $0.samples.count / voice.hopLength }
                    #expect(sizes.first == min(chunking.firstFrames, c.framesPerID.reduce(0, +)))
                    let vsWhole = s.samples.withUnsafeBufferPointer { VoicePiperTests.snr($0, whole.samples) }
                    let vsRef = s.samples.withUnsafeBufferPointer { VoicePiperTests.snr($0, ref) }
                    print("voice stream \(c.audio): chunks \(sizes) (first \(chunking.firstFrames), max \(chunking.maxFrames)), \(threads == nil ? 1 : 2) threads: SNR vs whole \(String(format: "%.1f", vsWhole)) dB, vs Piper \(String(format: "%.1f", vsRef)) dB")
                    #expect(vsWhole >= 50, "\(c.name): \(vsWhole) dB")
                    #expect(vsRef >= 60, "\(c.name): \(vsRef) dB")
                    // No clicks: around every seam the streamed audio is the whole-sentence audio.
                    var offset = 0
                    for size in sizes.dropLast() {
                        offset += size * voice.hopLength
                        let around = max(0, offset - 64) ..< min(s.samples.count, offset + 64)
                        let worst = around.map { abs(s.samples[$0] - whole.samples[$0]) }.max() ?? 0
                        #expect(worst < 1e-4, "\(c.name): seam at \(offset) differs by \(worst)")
                    }
                }
            }
        }
    }

    @Test("stream visemes come from the sentence's spans and cover the audio", .enabled(if: enabled))
    func visemes() throws {
        let voice = try VoicePiperTests.loaded.get()
        let c = try #require(try VoicePiperTests.cases().first)
        let mapped = try VisemeTests.spans(VisemeTests.phonemes)
        let stream = try voice.startSentence(ids: c.ids, spans: mapped.spans, scales: VoiceScales(noise: 0, length: 1, noiseW: 0))
        #expect(stream.visemes == VisemeTimeline.spans(framesPerID: c.framesPerID, phonemes: mapped.spans, hopLength: 256))
        #expect(stream.visemes.last?.end == stream.sampleCount)
        #expect(stream.sampleRate == 22050)
    }
}
