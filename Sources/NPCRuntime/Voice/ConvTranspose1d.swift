/// A transposed 1-D convolution (HiFi-GAN's upsampler): cols = Wᵀ·x by sgemm,
/// then each column is scattered onto the strided output (col2im).
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

    /// Output length for `t` input frames: (t − 1)·stride − 2·padding + kernel.
    func outputLength(_ t: Int) -> Int { (t - 1) * stride - 2 * padding + kernel }

    /// The input frames that output columns `out` receive from: input frame i, tap k
    /// lands on output i·stride + k − padding. Clipped to `0 ..< inputTotal`.
    func inputColumns(for out: Range<Int>, inputTotal: Int) -> Range<Int> {
        let lo = Self.ceilDiv(out.lowerBound + padding - kernel + 1, stride)
        let hi = Self.ceilDiv(out.upperBound + padding, stride)
        let a = max(0, min(inputTotal, lo))
        return a ..< max(a, min(inputTotal, hi))
    }

    /// x (inChannels, T) → y (outChannels, outputLength(T)).
    func forward(_ x: FeatureMap, into y: FeatureMap, workspace: VoiceWorkspace) {
        forward(SignalWindow(x), into: SignalWindow(y), columns: 0 ..< y.length, inputTotal: x.length, workspace: workspace)
    }

    /// y[:, out] = convTranspose(x)[:, out] in global columns; x (a signal `inputTotal`
    /// frames long) must hold `inputColumns(for: out, inputTotal:)`.
    func forward(_ x: SignalWindow, into y: SignalWindow, columns out: Range<Int>, inputTotal: Int,
                 workspace: VoiceWorkspace) {
        // Each part scatters only into its own output columns, so parts never race.
        workspace.parallel(out, minimumPart: Conv1d.minimumColumnsPerThread) { part, thread in
            forwardPart(x, into: y, columns: part, inputTotal: inputTotal, cols: workspace.columns(thread))
        }
    }

    private func forwardPart(_ x: SignalWindow, into y: SignalWindow, columns out: Range<Int>, inputTotal: Int,
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
}
