import Foundation
import Testing
import Kernels
import VoiceKernels
@testable import NPCRuntime

/// The dense convolution's direct kernel at every CPU level this machine has, against a plain
/// loop, on windows of a longer signal, with the padding at the signal's ends; the levels and
/// any split of the columns agree bit for bit.
@Suite struct VoiceConvolutionTests {
    static func naive(_ conv: Conv1d, _ x: SignalWindow, _ out: Range<Int>, total: Int, start y: [Float]?) -> [Float] {
        var result = [Float](repeating: 0, count: conv.outChannels * out.count)
        for co in 0..<conv.outChannels {
            for (i, t) in out.enumerated() {
                var s = Double(conv.bias?[co] ?? 0) + Double(y?[co * out.count + i] ?? 0)
                for ci in 0..<conv.inChannels {
                    for j in 0..<conv.kernel {
                        let g = t + j * conv.dilation - conv.padLeft
                        guard g >= 0, g < total else { continue }
                        s += Double(conv.weight[(co * conv.inChannels + ci) * conv.kernel + j]) * Double(x.pointer(ci, g).pointee)
                    }
                }
                result[co * out.count + i] = Float(s)
            }
        }
        return result
    }

    /// The levels from scalar up to what CPUID allows.
    static var levels: [Int32] { Array(0...pk_detected_cpu_level()) }

    /// Runs `body` at each level, back at the detected level afterwards.
    static func atEveryLevel<T>(_ body: () -> T) -> [(String, T)] {
        defer { pk_set_cpu_level(-1) }
        return levels.map { level in
            pk_set_cpu_level(level)
            return (String(cString: pk_cpu_level_name(level)), body())
        }
    }

    @Test func directKernelMatchesAPlainLoopAtEveryLevel() {
        var rng = SplitMix64(seed: 21)
        let workspace = VoiceWorkspace()
        let shapes: [(cin: Int, cout: Int, k: Int, d: Int, padLeft: Int?)] = [
            (3, 8, 7, 1, nil), (5, 13, 3, 2, nil), (16, 1, 7, 1, nil), (7, 9, 1, 1, nil), (4, 17, 5, 6, nil), (6, 8, 4, 1, 1), (2, 3, 7, 12, nil),
            (3, 5, 19, 2, nil),   // more taps than an edge tile keeps masks for
            (12, 2, 7, 3, nil), (9, 1, 1, 1, nil), (32, 1, 7, 1, 3),   // one-row tiles (conv_post: 32 → 1)
        ]
        for shape in shapes {
            let conv = HiFiGANWindowTests.conv(&rng, shape.cin, shape.cout, shape.k, dilation: shape.d, padLeft: shape.padLeft)
            for (total, out) in [(5, 0..<5), (100, 0..<100), (300, 37..<251), (300, 250..<300), (70, 0..<1), (70, 69..<70), (500, 3..<500)] {
                // x holds exactly the columns `out` reads.
                let read = conv.inputColumns(for: out, total: total)
                let x = SignalWindow(workspace.map(shape.cin, read.count), start: read.lowerBound)
                for i in 0..<x.map.count { x.map.data[i] = rng.nextFloat() * 2 - 1 }
                let previous = (0..<(shape.cout * out.count)).map { _ in rng.nextFloat() }
                for accumulate in [false, true] {
                    let expected = Self.naive(conv, x, out, total: total, start: accumulate ? previous : nil)
                    // Whole, and cut at an odd column (as threads would split it).
                    let cut = out.lowerBound + out.count / 3
                    let splits = [[out], [out.lowerBound ..< cut, cut ..< out.upperBound]].map { $0.filter { !$0.isEmpty } }
                    let runs = Self.atEveryLevel { () -> [[Float]] in
                        splits.map { parts in
                            let y = SignalWindow(workspace.map(shape.cout, out.count), start: out.lowerBound)
                            for i in 0..<y.map.count { y.map.data[i] = accumulate ? previous[i] : .nan }
                            for part in parts { conv.forwardDirect(x, into: y, columns: part, total: total, accumulate: accumulate) }
                            return Array(UnsafeBufferPointer(start: y.map.data, count: y.map.count))
                        }
                    }
                    let reference = runs[0].1[0]
                    for (level, outputs) in runs {
                        let worst = zip(outputs[0], expected).map { abs($0 - $1) }.max() ?? .nan
                        #expect(worst < 1e-4, "\(level) \(shape) total \(total) out \(out) accumulate \(accumulate): worst \(worst)")
                        for got in outputs {
                            #expect(got.map(\.bitPattern) == reference.map(\.bitPattern),
                                    "\(level) \(shape) total \(total) out \(out): not bit-identical to scalar / unsplit")
                        }
                    }
                }
            }
        }
    }

    /// Signal-to-noise of `got` against `expected`, both less `base` (the conv's own part), in dB.
    static func snr(_ got: [Float], _ expected: [Float], base: [Float]?) -> Double {
        var signal = 0.0, noise = 0.0
        for i in 0..<expected.count {
            let e = Double(expected[i]) - Double(base?[i] ?? 0), g = Double(got[i]) - Double(base?[i] ?? 0)
            signal += e * e
            noise += (g - e) * (g - e)
        }
        return noise == 0 ? .infinity : 10 * log10(signal / noise)
    }

    /// VoicePrecision.int16's convolution: the same bits at every level, within 50 dB of the
    /// float convolution, on windows of a longer signal with the padding at its ends.
    @Test func integerProductsAgreeAtEveryLevelAndStayNearFloat() {
        var rng = SplitMix64(seed: 41)
        let workspace = VoiceWorkspace()
        for (cin, cout, k, d) in [(3, 8, 7, 1), (5, 13, 3, 2), (16, 1, 7, 1), (7, 9, 1, 1), (4, 17, 5, 6), (2, 3, 7, 12), (33, 20, 3, 1)] {
            let float = HiFiGANWindowTests.conv(&rng, cin, cout, k, dilation: d)
            let conv = float.withIntegerProducts()
            #expect(conv.integer != nil && float.integer == nil)
            for (total, out) in [(5, 0..<5), (100, 0..<100), (300, 37..<251), (70, 69..<70), (500, 3..<500)] {
                let read = conv.inputColumns(for: out, total: total)
                let x = SignalWindow(workspace.map(cin, read.count), start: read.lowerBound)
                for i in 0..<x.map.count { x.map.data[i] = rng.nextFloat() * 2 - 1 }
                let previous = (0..<(cout * out.count)).map { _ in rng.nextFloat() }
                for accumulate in [false, true] {
                    let expected = Self.naive(float, x, out, total: total, start: accumulate ? previous : nil)
                    let runs = Self.atEveryLevel { () -> [Float] in
                        let y = SignalWindow(workspace.map(cout, out.count), start: out.lowerBound)
                        for i in 0..<y.map.count { y.map.data[i] = accumulate ? previous[i] : .nan }
                        conv.forward(x, into: y, columns: out, total: total, workspace: workspace, accumulate: accumulate)
                        return Array(UnsafeBufferPointer(start: y.map.data, count: y.map.count))
                    }
                    for (level, got) in runs {
                        let snr = Self.snr(got, expected, base: accumulate ? previous : nil)
                        #expect(snr >= 50, "\(level) \(cin)→\(cout) k\(k) d\(d) total \(total) out \(out): \(snr) dB")
                        #expect(got.map(\.bitPattern) == runs[0].1.map(\.bitPattern), "\(level): not bit-identical to scalar")
                    }
                }
            }
        }
    }

    /// Winograd's F(4, 4) (the int16 path of wide layers): within 45 dB of the float convolution on
    /// every window (signal ends, short windows, dilations that split tiles), with the leaky ReLU
    /// taken in its input transform; the same bits at every level and for one, two or three threads.
    @Test func winogradAgreesAtEveryLevelAndStaysNearFloat() {
        var rng = SplitMix64(seed: 45)
        let workspaces = [VoiceWorkspace(), VoiceWorkspace(pool: ThreadPool(count: 2)), VoiceWorkspace(pool: ThreadPool(count: 3))]
        for (cin, cout, k, d, slope) in [(64, 64, 7, 1, Float(0.1)), (64, 40, 7, 2, 1), (72, 30, 7, 3, 0.1), (64, 64, 7, 12, 0.1),
                                         (65, 24, 11, 6, 1), (64, 9, 7, 1, 1), (96, 200, 11, 1, 1)] {
            let float = HiFiGANWindowTests.conv(&rng, cin, cout, k, dilation: d)
            let conv = float.withIntegerProducts(winograd: true)
            #expect(conv.winograd != nil, "\(cin)→\(cout) k\(k): no Winograd weights")
            // where it does not gain at every level: fewer channels, 5 taps, 3 taps
            for (c, kk) in [(32, 7), (128, 5), (128, 3)] {
                #expect(HiFiGANWindowTests.conv(&rng, c, c, kk, dilation: 1).withIntegerProducts(winograd: true).winograd == nil)
            }
            for (total, out) in [(5, 0..<5), (100, 0..<100), (300, 37..<251), (70, 69..<70), (700, 3..<690)] {
                let read = conv.inputColumns(for: out, total: total)
                let x = SignalWindow(workspaces[0].map(cin, read.count), start: read.lowerBound)
                for i in 0..<x.map.count { x.map.data[i] = (rng.nextFloat() * 2 - 1) * (i % 11 == 0 ? 8 : 1) }
                let previous = (0..<(cout * out.count)).map { _ in rng.nextFloat() }
                for accumulate in [false, true] {
                    let run = { (c: Conv1d, workspace: VoiceWorkspace) -> [Float] in
                        let scratch = SignalWindow(workspace.map(cin, read.count), start: read.lowerBound)
                        let y = SignalWindow(workspace.map(cout, out.count), start: out.lowerBound)
                        for i in 0..<y.map.count { y.map.data[i] = accumulate ? previous[i] : .nan }
                        c.forward(leakyReLU: slope, x, scratch: scratch, into: y, columns: out, total: total, workspace: workspace,
                                  accumulate: accumulate)
                        return Array(UnsafeBufferPointer(start: y.map.data, count: y.map.count))
                    }
                    let expected = run(float, workspaces[0])
                    let runs = Self.atEveryLevel { workspaces.map { run(conv, $0) } }
                    for (level, got) in runs {
                        let snr = Self.snr(got[0], expected, base: accumulate ? previous : nil)
                        #expect(snr >= 45, "\(level) \(cin)→\(cout) k\(k) d\(d) total \(total) out \(out): \(snr) dB")
                        for g in got {
                            #expect(g.map(\.bitPattern) == runs[0].1[0].map(\.bitPattern),
                                    "\(level) \(cin)→\(cout) k\(k) d\(d) out \(out): not the bits of scalar, one thread")
                        }
                    }
                }
            }
        }
    }

    /// A layer's output is cut between threads by columns (long signals) or by rows (a few
    /// columns, as in the text encoder); the int16 window is quantized once, before the cut.
    /// Two and three threads give the bits of one, float and int16.
    @Test func convolutionsDoNotDependOnTheThreadSplit() {
        var rng = SplitMix64(seed: 42)
        let workspaces = [VoiceWorkspace(), VoiceWorkspace(pool: ThreadPool(count: 2)), VoiceWorkspace(pool: ThreadPool(count: 3))]
        // (cin, cout, k, dilation, total, out): columns cut; rows cut; rows cut with a partial last block
        for (cin, cout, k, d, total, out) in [(64, 64, 5, 2, 700, 13..<613), (192, 384, 5, 1, 150, 0..<150), (160, 100, 3, 1, 90, 5..<80)] {
            let float = HiFiGANWindowTests.conv(&rng, cin, cout, k, dilation: d)
            let read = float.inputColumns(for: out, total: total)
            let x = SignalWindow(workspaces[0].map(cin, read.count), start: read.lowerBound)
            for i in 0..<x.map.count { x.map.data[i] = rng.nextFloat() * 2 - 1 }
            for conv in [float, float.withIntegerProducts()] {
                let results = workspaces.map { workspace -> [UInt32] in
                    let y = SignalWindow(workspace.map(cout, out.count), start: out.lowerBound)
                    for i in 0..<y.map.count { y.map.data[i] = .nan }
                    conv.forward(x, into: y, columns: out, total: total, workspace: workspace)
                    return UnsafeBufferPointer(start: y.map.data, count: y.map.count).map(\.bitPattern)
                }
                #expect(!results[0].contains(Float.nan.bitPattern), "\(cin)→\(cout): an output was not written")
                #expect(results[1] == results[0] && results[2] == results[0],
                        "\(cin)→\(cout) k\(k), \(out.count) columns, int16 \(conv.integer != nil): the split changed the bits")
            }
        }
    }

    /// A leaky ReLU before an int16 layer is taken in the window's quantization: the same bits at
    /// every level and for any thread split, within 50 dB of the float layer on lrelu(x) (which
    /// float products compute through scratch, or in place for the upsampler).
    @Test func integerProductsTakeTheLeakyReLUInTheirQuantization() {
        var rng = SplitMix64(seed: 44)
        let single = VoiceWorkspace(), pooled = VoiceWorkspace(pool: ThreadPool(count: 2))
        let slope: Float = 0.1
        for (cin, cout, k, d) in [(64, 32, 7, 3), (33, 20, 3, 1), (7, 9, 5, 2)] {
            let float = HiFiGANWindowTests.conv(&rng, cin, cout, k, dilation: d)
            let conv = float.withIntegerProducts()
            let total = 900, out = 11..<870
            let read = conv.inputColumns(for: out, total: total)
            let x = SignalWindow(single.map(cin, read.count), start: read.lowerBound)
            for i in 0..<x.map.count { x.map.data[i] = (rng.nextFloat() * 2 - 1) * (i % 7 == 0 ? 30 : 1) }
            let before = Array(UnsafeBufferPointer(start: x.map.data, count: x.map.count))
            let run = { (c: Conv1d, workspace: VoiceWorkspace) -> [Float] in
                let scratch = SignalWindow(workspace.map(cin, read.count), start: read.lowerBound)
                let y = SignalWindow(workspace.map(cout, out.count), start: out.lowerBound)
                c.forward(leakyReLU: slope, x, scratch: scratch, into: y, columns: out, total: total, workspace: workspace)
                return Array(UnsafeBufferPointer(start: y.map.data, count: y.map.count))
            }
            let expected = run(float, single)
            let runs = Self.atEveryLevel { [run(conv, single), run(conv, pooled)] }
            for (level, got) in runs {
                let snr = Self.snr(got[0], expected, base: nil)
                #expect(snr >= 50, "\(level) \(cin)→\(cout) k\(k): \(snr) dB")
                #expect(got[0].map(\.bitPattern) == runs[0].1[0].map(\.bitPattern), "\(level): not bit-identical to scalar")
                #expect(got[1].map(\.bitPattern) == got[0].map(\.bitPattern), "\(level): two threads differ from one")
            }
            #expect(Array(UnsafeBufferPointer(start: x.map.data, count: x.map.count)) == before, "the input changed")
        }
        // The upsampler: float products take lrelu(x) in place, int16 ones leave x alone.
        let float = HiFiGANWindowTests.upsampler(&rng, 24, 8, kernel: 16, stride: 8)
        let up = float.withIntegerProducts()
        let frames = 60, out = 5..<470
        let read = up.inputColumns(for: out, inputTotal: frames)
        let x = SignalWindow(single.map(24, read.count), start: read.lowerBound)
        for i in 0..<x.map.count { x.map.data[i] = rng.nextFloat() * 2 - 1 }
        let before = Array(UnsafeBufferPointer(start: x.map.data, count: x.map.count))
        let run = { (c: ConvTranspose1d, workspace: VoiceWorkspace) -> [Float] in
            let y = SignalWindow(workspace.map(8, out.count), start: out.lowerBound)
            c.forward(leakyReLU: slope, x, into: y, columns: out, inputTotal: frames, workspace: workspace)
            return Array(UnsafeBufferPointer(start: y.map.data, count: y.map.count))
        }
        let runs = Self.atEveryLevel { [run(up, single), run(up, pooled)] }
        #expect(Array(UnsafeBufferPointer(start: x.map.data, count: x.map.count)) == before, "int16 products changed their input")
        let expected = run(float, single)
        #expect(Array(UnsafeBufferPointer(start: x.map.data, count: x.map.count)) == before.map { $0 < 0 ? $0 * slope : $0 })
        for (level, got) in runs {
            #expect(Self.snr(got[0], expected, base: nil) >= 50, "\(level) upsampler")
            #expect(got[0].map(\.bitPattern) == runs[0].1[0].map(\.bitPattern), "\(level): upsampler not bit-identical to scalar")
            #expect(got[1].map(\.bitPattern) == got[0].map(\.bitPattern), "\(level): upsampler split differs")
        }
    }

    /// The largest sums a layer can make: every weight at its row's maximum and every input at
    /// the window's, so Σ|q|·xmax is at its bound; int32 must not wrap. Weights that are not
    /// finite keep the float path.
    @Test func integerSumsStayWithinInt32AtTheirBound() {
        let (cin, cout, k) = (512, 2, 7)
        let w = (0..<(cout * cin * k)).map { i in i < cin * k ? Float(1) : Float(-0.5) }
        let conv = Conv1d(weight: WeightBuffer(copying: w), bias: nil, inChannels: cin, outChannels: cout, kernel: k, dilation: 1,
                          padLeft: 3, depthwise: false).withIntegerProducts()
        let limit = Int64(conv.integer?.inputLimit ?? 0)
        #expect(limit > 0 && limit * Int64(cin * k) * 2047 < Int64(1) << 31)
        let workspace = VoiceWorkspace()
        let x = SignalWindow(workspace.map(cin, 20))
        for i in 0..<x.map.count { x.map.data[i] = 3 }
        let y = SignalWindow(workspace.map(cout, 20))
        conv.forward(x, into: y, columns: 3..<17, total: 20, workspace: workspace)
        for t in 3..<17 {   // away from the ends every tap reads the signal
            #expect(abs(y.pointer(0, t).pointee - Float(3 * cin * k)) < 1e-3 * Float(3 * cin * k), "row 0 at \(t): \(y.pointer(0, t).pointee)")
            #expect(abs(y.pointer(1, t).pointee + Float(3 * cin * k) / 2) < 1e-3 * Float(3 * cin * k), "row 1 at \(t): \(y.pointer(1, t).pointee)")
        }
        var broken = w
        broken[5] = .nan
        let kept = Conv1d(weight: WeightBuffer(copying: broken), bias: nil, inChannels: cin, outChannels: cout, kernel: k, dilation: 1,
                          padLeft: 3, depthwise: false).withIntegerProducts()
        #expect(kept.integer == nil)
    }

    /// GELU, x/2 · (1 + erf(x/√2)), against Double's erf: within 1e-6 · max(1, |x|), the same bits at every level.
    @Test func geluMatchesErfAtEveryLevel() {
        var rng = SplitMix64(seed: 5)
        var x = (0..<4001).map { _ in (rng.nextFloat() - 0.5) * 16 }
        x += [0, -0.0, 1e-8, -1e-8, 1e-30, -1e-30, 3, -3, 5.65, -5.65, 6, -6, 30, -30, 1e30, -1e30, .greatestFiniteMagnitude]
        let runs = Self.atEveryLevel { () -> [Float] in
            var y = x
            pv_gelu(&y, y.count)
            return y
        }
        for (level, y) in runs {
            #expect(y.map(\.bitPattern) == runs[0].1.map(\.bitPattern), "\(level): not bit-identical to scalar")
            for i in 0..<x.count {
                let v = Double(x[i]), expected = 0.5 * v * (1 + erf(v / 2.0.squareRoot()))
                #expect(abs(Double(y[i]) - expected) <= 1e-6 * max(1, abs(v)), "\(level) gelu(\(x[i])) = \(y[i]), not \(expected)")
            }
        }
    }

    @Test func gateAndTanhMatchLibm() {
        var rng = SplitMix64(seed: 4)
        var a = (0..<1003).map { _ in (rng.nextFloat() - 0.5) * 20 }
        var b = (0..<1003).map { _ in (rng.nextFloat() - 0.5) * 20 }
        a += [0, -0.0, 1e-8, -1e-8, 30, -30, 100, -100, 1e30, -1e30]
        b += [0, -0.0, 1e-8, -1e-8, 30, -30, 100, -100, 1e30, -1e30]
        var out = [Float](repeating: .nan, count: a.count)
        pv_gate_tanh_sigmoid(a, b, &out, a.count)
        var th = [Float](repeating: .nan, count: a.count)
        pv_tanh(a, &th, a.count)
        for i in 0..<a.count {
            let expected = tanh(Double(a[i])) / (1 + exp(-Double(b[i])))
            #expect(abs(Double(out[i]) - expected) < 1e-6, "a \(a[i]) b \(b[i]): \(out[i]) vs \(expected)")
            #expect(abs(Double(th[i]) - tanh(Double(a[i]))) < 1e-6, "tanh \(a[i]): \(th[i])")
        }
    }

    /// The upsamplers with int16 products: the same bits at every level, within 50 dB of float.
    @Test func integerTransposedPhasesAgreeAtEveryLevelAndStayNearFloat() {
        var rng = SplitMix64(seed: 43)
        let workspace = VoiceWorkspace()
        for (cin, cout, k, stride) in [(3, 8, 16, 8), (5, 13, 8, 4), (4, 3, 4, 2), (2, 9, 3, 3), (6, 4, 2, 2)] {
            let float = HiFiGANWindowTests.upsampler(&rng, cin, cout, kernel: k, stride: stride)
            let up = float.withIntegerProducts()
            #expect(up.integerPhases != nil)
            for (frames, out) in [(1, 0..<stride), (9, 0..<(9 * stride)), (40, 13..<200), (40, 3..<5), (40, (40 * stride - 7)..<(40 * stride))] {
                let read = up.inputColumns(for: out, inputTotal: frames)
                let x = SignalWindow(workspace.map(cin, max(1, read.count)), start: read.lowerBound)
                for i in 0..<x.map.count { x.map.data[i] = rng.nextFloat() * 2 - 1 }
                let run = { (conv: ConvTranspose1d) -> [Float] in
                    let y = SignalWindow(workspace.map(cout, out.count), start: out.lowerBound)
                    conv.forward(x, into: y, columns: out, inputTotal: frames, workspace: workspace)
                    return Array(UnsafeBufferPointer(start: y.map.data, count: y.map.count))
                }
                let expected = run(float)
                let runs = Self.atEveryLevel { run(up) }
                for (level, got) in runs {
                    let snr = Self.snr(got, expected, base: nil)
                    #expect(snr >= 50, "\(level) \(cin)→\(cout) k\(k) s\(stride), \(frames) frames, out \(out): \(snr) dB")
                    #expect(got.map(\.bitPattern) == runs[0].1.map(\.bitPattern), "\(level): not bit-identical to scalar")
                }
            }
        }
    }

    @Test func transposedPhasesMatchAPlainLoopAtEveryLevel() {
        var rng = SplitMix64(seed: 31)
        let workspace = VoiceWorkspace()
        for (cin, cout, k, stride) in [(3, 8, 16, 8), (5, 13, 8, 4), (4, 3, 4, 2), (2, 9, 3, 3), (6, 4, 2, 2)] {
            let up = HiFiGANWindowTests.upsampler(&rng, cin, cout, kernel: k, stride: stride)
            for (frames, out) in [(1, 0..<stride), (9, 0..<(9 * stride)), (40, 13..<200), (40, 3..<5), (40, (40 * stride - 7)..<(40 * stride))] {
                let read = up.inputColumns(for: out, inputTotal: frames)
                let x = SignalWindow(workspace.map(cin, max(1, read.count)), start: read.lowerBound)
                for i in 0..<x.map.count { x.map.data[i] = rng.nextFloat() * 2 - 1 }
                var expected = [Float](repeating: 0, count: cout * out.count)
                for co in 0..<cout {
                    for (i, o) in out.enumerated() {
                        var sum = Double(up.bias?[co] ?? 0)
                        for f in read { for ci in 0..<cin {
                            let tap = o - f * stride + up.padding
                            if tap >= 0 && tap < k { sum += Double(up.weight[(ci * cout + co) * k + tap]) * Double(x.pointer(ci, f).pointee) }
                        } }
                        expected[co * out.count + i] = Float(sum)
                    }
                }
                // in one block, and in blocks of 5 and 11 input columns (the phases' rows woven block by block);
                // all output channels at once, and in two parts (as threads share a short window)
                for block in [Int.max, 5, 11] { for split in [cout, cout / 2] {
                    let runs = Self.atEveryLevel { () -> [Float] in
                        let y = SignalWindow(workspace.map(cout, out.count), start: out.lowerBound)
                        for rows in [0 ..< split, split ..< cout] {
                            up.forwardPhases(x, into: y, columns: out, rows: rows, inputTotal: frames, cols: workspace.columns(0), block: block)
                        }
                        return Array(UnsafeBufferPointer(start: y.map.data, count: y.map.count))
                    }
                    for (level, got) in runs {
                        let worst = zip(got, expected).map { abs($0 - $1) }.max() ?? .nan
                        #expect(worst < 1e-4, "\(level) \(cin)→\(cout) k\(k) s\(stride), \(frames) frames, out \(out), block \(block), rows split at \(split): worst \(worst)")
                        #expect(got.map(\.bitPattern) == runs[0].1.map(\.bitPattern), "\(level): not bit-identical to scalar")
                    }
                } }
            }
        }
    }
}
