import VoiceKernels

/// A transposed 1-D convolution (HiFi-GAN's upsampler), as `stride` ordinary
/// convolutions by the direct kernel (or the 16-bit-product one), one per output phase (output o = q·stride + r
/// takes input q + m through tap r + padding − m·stride).
struct ConvTranspose1d {
    /// (inChannels, outChannels, kernel)
    let weight: WeightBuffer
    /// (outChannels)
    let bias: WeightBuffer?
    let inChannels: Int
    let outChannels: Int
    let kernel: Int
    let stride: Int
    let padding: Int
    /// One per output phase r.
    let phases: [Phase]
    /// Each phase's weights as int16 pairs (VoicePrecision.int16; nil for a phase with no
    /// taps); nil: float products.
    var integerPhases: [IntegerConvWeights?]? = nil

    /// Output phase r as a convolution: y[:, q·stride + r] = b + Σ_j W_r[:, :, j] · x[:, q + firstInput + j].
    struct Phase {
        /// (outChannels, inChannels, taps)
        let weight: WeightBuffer
        let taps: Int
        let firstInput: Int
    }

    init(weight: WeightBuffer, bias: WeightBuffer?, inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int) {
        self.weight = weight
        self.bias = bias
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        phases = (0..<stride).map { r in
            // Taps k = r + padding − m·stride in [0, kernel), input offsets m ascending.
            let first = Self.ceilDiv(r + padding - kernel + 1, stride)
            let last = Self.floorDiv(r + padding, stride)
            let taps = max(0, last - first + 1)
            let w = WeightBuffer(count: outChannels * inChannels * taps) { i in
                let co = i / (inChannels * taps), ci = (i / taps) % inChannels, j = i % taps
                let k = r + padding - (first + j) * stride
                return weight[(ci * outChannels + co) * kernel + k]
            }
            return Phase(weight: w, taps: taps, firstInput: first)
        }
    }

    /// The input frames that output columns `out` receive from: input frame i, tap k
    /// lands on output i·stride + k − padding. Clipped to `0 ..< inputTotal`.
    func inputColumns(for out: Range<Int>, inputTotal: Int) -> Range<Int> {
        let lo = Self.ceilDiv(out.lowerBound + padding - kernel + 1, stride)
        let hi = Self.ceilDiv(out.upperBound + padding, stride)
        let a = max(0, min(inputTotal, lo))
        return a ..< max(a, min(inputTotal, hi))
    }

    /// This upsampler with int16 products (itself when a phase's weights cannot be).
    func withIntegerProducts() -> ConvTranspose1d {
        var integer: [IntegerConvWeights?] = []
        for phase in phases {
            guard phase.taps > 0 else { integer.append(nil); continue }
            guard let q = IntegerConvWeights(phase.weight, outChannels: outChannels, inChannels: inChannels, kernel: phase.taps)
            else { return self }
            integer.append(q)
        }
        var c = self
        c.integerPhases = integer
        return c
    }

    /// y[:, out] = convTranspose(lrelu(x))[:, out] in global columns, lrelu the leaky ReLU of
    /// `slope` (1: none); x (a signal `inputTotal` frames long) must hold `inputColumns(for: out,
    /// inputTotal:)`. Float products take lrelu(x) in place of x on the columns read; int16
    /// products take it in their quantization and leave x as it is.
    func forward(leakyReLU slope: Float = 1, _ x: SignalWindow, into y: SignalWindow, columns out: Range<Int>, inputTotal: Int,
                 workspace: VoiceWorkspace) {
        // Each part scatters only into its own output columns, so parts never race.
        // Per output column: inChannels · outChannels · kernel / stride multiply-adds.
        let perColumn = inChannels * outChannels * kernel / max(1, stride)
        let window = integerPhases.flatMap { quantizedWindow($0, x, out, inputTotal: inputTotal, slope: slope, workspace: workspace) }
        if window == nil && slope != 1 {
            let read = inputColumns(for: out, inputTotal: inputTotal).clamped(to: x.start ..< x.start + x.map.length)
            workspace.forEachRow(inChannels, columns: read.count) { c in
                let row = x.pointer(c, read.lowerBound)
                VectorMath.leakyReLU(row, into: row, count: read.count, slope: slope)
            }
        }
        // Parts of whole tiles in every phase: 32 of its columns; a window too short for two such parts
        // a thread (a stream's first chunks) is cut between output channels instead.
        let alignment = VoiceWorkspace.columnAlignment * stride, threads = workspace.pool?.activeCount ?? 1
        if threads > 1 && out.count / alignment < 2 * threads {
            workspace.parallel(0 ..< outChannels, minimumPart: 1, alignment: VoiceWorkspace.rowAlignment) { rows, thread in
                forwardPhases(x, into: y, columns: out, rows: rows, inputTotal: inputTotal, cols: workspace.columns(thread), window: window)
            }
            return
        }
        workspace.parallel(out, minimumPart: Conv1d.minimumColumns(perColumn: perColumn), alignment: alignment) { part, thread in
            forwardPhases(x, into: y, columns: part, inputTotal: inputTotal, cols: workspace.columns(thread), window: window)
        }
    }

    /// The input frames every phase reads for outputs `out`, quantized with one scale (before
    /// the split between threads, so the split does not change the sums). nil when no phase has taps.
    private func quantizedWindow(_ integer: [IntegerConvWeights?], _ x: SignalWindow, _ out: Range<Int>, inputTotal: Int,
                                 slope: Float, workspace: VoiceWorkspace) -> QuantizedWindow? {
        var lo = Int.max, hi = Int.min, limit = Int32.max
        for (r, phase) in phases.enumerated() where phase.taps > 0 {
            let q0 = Self.ceilDiv(out.lowerBound - r, stride), q1 = Self.ceilDiv(out.upperBound - r, stride)
            guard q0 < q1, let w = integer[r] else { continue }
            lo = min(lo, q0 + phase.firstInput)
            hi = max(hi, q1 - 1 + phase.firstInput + phase.taps)
            limit = min(limit, w.inputLimit)
        }
        guard lo < hi else { return nil }
        return workspace.quantizedWindow(x, channels: inChannels, first: lo - x.start, count: hi - lo, total: inputTotal, limit: limit,
                                         slope: slope)
    }

    /// Block by block of input columns q: every phase's outputs by the direct kernel into `cols`
    /// (phase, rows, block), then woven into y (`pv_interleave_phases`). `rows`: the output
    /// channels to make (all by default).
    /// `window`: the int16 products' input (forward's), nil for float products. `block`: input
    /// columns per block, at most (and by default) as many as fill `cols`.
    func forwardPhases(_ x: SignalWindow, into y: SignalWindow, columns out: Range<Int>, rows: Range<Int>? = nil, inputTotal: Int,
                       cols: UnsafeMutablePointer<Float>, window: QuantizedWindow? = nil, block: Int = .max) {
        let rows = rows ?? 0 ..< outChannels, r0 = rows.lowerBound, count = rows.count
        guard count > 0 else { return }
        let block = max(1, min(block, VoiceWorkspace.columnCapacity / (stride * count)))
        let b = bias.map { $0.base + r0 }
        let valid = min(x.map.length, inputTotal - x.start)
        // Output o = q·stride + r lies in `out` for q in [⌈(out.lower − r) / stride⌉, ⌈(out.upper − r) / stride⌉).
        let end = Self.ceilDiv(out.upperBound, stride)
        var start = Self.floorDiv(out.lowerBound, stride)
        while start < end {
            let stop = min(end, start + block)
            for (r, phase) in phases.enumerated() {
                let q0 = max(start, Self.ceilDiv(out.lowerBound - r, stride)), q1 = min(stop, Self.ceilDiv(out.upperBound - r, stride))
                guard q0 < q1 else { continue }
                let n = q1 - q0, tile = cols + r * count * block + (q0 - start)   // row co at tile + (co − r0)·block
                if phase.taps > 0, let window, let w = integerPhases?[r] {
                    let at = q0 + phase.firstInput - x.start - window.first, words = (inChannels + 1) / 2 * phase.taps
                    pv_conv1d_i16(w.pairs + r0 * words, w.scales + r0, b, Int32(count), Int32(inChannels), Int32(phase.taps), 1,
                                  window.data + 2 * at, window.rowColumns, window.scale, tile, block, n, 0)
                } else if phase.taps > 0 {
                    pv_conv1d(phase.weight.base + r0 * inChannels * phase.taps, b, Int32(count), Int32(inChannels), Int32(phase.taps), 1,
                              x.map.data, x.map.length, q0 + phase.firstInput - x.start, 0, valid, tile, block, n, 0)
                } else {
                    for co in 0..<count { (tile + co * block).update(repeating: b?[co] ?? 0, count: n) }
                }
            }
            let o0 = max(out.lowerBound, start * stride), o1 = min(out.upperBound, stop * stride)
            for co in 0..<count {
                pv_interleave_phases(cols + co * block, count * block, Int32(stride), start, o0, o1, y.pointer(r0 + co, o0))
            }
            start = stop
        }
    }

    /// ⌈a / b⌉ for b > 0 and any sign of a.
    static func ceilDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? (a + b - 1) / b : -((-a) / b) }

    /// ⌊a / b⌋ for b > 0 and any sign of a.
    static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
}
