import VoiceKernels

/// A transposed 1-D convolution (HiFi-GAN's upsampler). Where the direct
/// kernel runs, as `stride` ordinary convolutions, one per output phase
/// (output o = q·stride + r takes input q + m through tap r + padding − m·stride);
/// elsewhere cols = Wᵀ·x by sgemm, each column scattered onto the strided
/// output (col2im).
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
    /// One per output phase r, for the direct kernel (empty without it).
    let phases: [Phase]

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
        guard Conv1d.directAvailable else { phases = []; return }
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

    /// y[:, out] = convTranspose(x)[:, out] in global columns; x (a signal `inputTotal`
    /// frames long) must hold `inputColumns(for: out, inputTotal:)`.
    func forward(_ x: SignalWindow, into y: SignalWindow, columns out: Range<Int>, inputTotal: Int,
                 workspace: VoiceWorkspace) {
        // Each part scatters only into its own output columns, so parts never race.
        // Per output column: inChannels · outChannels · kernel / stride multiply-adds.
        let perColumn = inChannels * outChannels * kernel / max(1, stride)
        workspace.parallel(out, minimumPart: Conv1d.minimumColumns(perColumn: perColumn)) { part, thread in
            if phases.isEmpty {
                forwardPart(x, into: y, columns: part, inputTotal: inputTotal, cols: workspace.columns(thread))
            } else {
                forwardPhases(x, into: y, columns: part, inputTotal: inputTotal, cols: workspace.columns(thread))
            }
        }
    }

    /// Each phase's outputs by the direct kernel into `cols` (outChannels, tile), then
    /// interleaved into y.
    func forwardPhases(_ x: SignalWindow, into y: SignalWindow, columns out: Range<Int>, inputTotal: Int,
                       cols: UnsafeMutablePointer<Float>) {
        let tile = max(1, VoiceWorkspace.columnCapacity / outChannels)
        let valid = min(x.map.length, inputTotal - x.start)
        for (r, phase) in phases.enumerated() {
            // Output o = q·stride + r lies in `out` for q in [q0, q1).
            let q0 = Self.ceilDiv(out.lowerBound - r, stride), q1 = Self.ceilDiv(out.upperBound - r, stride)
            var q = q0
            while q < q1 {
                let n = min(tile, q1 - q)
                if phase.taps > 0 {
                    pv_conv1d(phase.weight.base, bias?.base, Int32(outChannels), Int32(inChannels), Int32(phase.taps), 1,
                              x.map.data, x.map.length, q + phase.firstInput - x.start, 0, valid, cols, n, n, 0)
                } else {
                    for co in 0..<outChannels { (cols + co * n).update(repeating: bias?[co] ?? 0, count: n) }
                }
                for co in 0..<outChannels {
                    let src = cols + co * n, dst = y.pointer(co, q * stride + r)
                    for j in 0..<n { dst[j * stride] = src[j] }
                }
                q += n
            }
        }
    }

    func forwardPart(_ x: SignalWindow, into y: SignalWindow, columns out: Range<Int>, inputTotal: Int,
                             cols: UnsafeMutablePointer<Float>) {
        for co in 0..<outChannels { y.pointer(co, out.lowerBound).update(repeating: bias?[co] ?? 0, count: out.count) }
        let frames = inputColumns(for: out, inputTotal: inputTotal)
        let rows = outChannels * kernel
        let tile = max(1, min(frames.count, VoiceWorkspace.columnCapacity / rows))
        var t0 = frames.lowerBound
        while t0 < frames.upperBound {
            let n = min(tile, frames.upperBound - t0)
            // cols (out·kernel, n) = Wᵀ (out·kernel, in) · x[:, t0 ..< t0 + n]
            BLAS.sgemm(transA: true, m: rows, n: n, k: inChannels, a: weight.base, lda: rows,
                       b: x.pointer(0, t0), ldb: x.map.length, beta: 0, c: cols, ldc: n)
            for k in 0..<kernel {
                // Frame t0 + j lands on output (t0 + j)·stride + k − padding; keep those inside `out`.
                let lo = max(0, Self.ceilDiv(out.lowerBound - k + padding, stride) - t0)
                let hi = min(n, Self.ceilDiv(out.upperBound - k + padding, stride) - t0)
                guard lo < hi else { continue }
                let first = (t0 + lo) * stride + k - padding
                for co in 0..<outChannels {
                    let src = cols + (co * kernel + k) * n
                    let dst = y.pointer(co, first)
                    for j in 0..<(hi - lo) { dst[j * stride] += src[lo + j] }
                }
            }
            t0 += n
        }
    }

    /// ⌈a / b⌉ for b > 0 and any sign of a.
    static func ceilDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? (a + b - 1) / b : -((-a) / b) }

    /// ⌊a / b⌋ for b > 0 and any sign of a.
    static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
}
