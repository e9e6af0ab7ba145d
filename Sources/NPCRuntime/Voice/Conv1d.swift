import VoiceKernels

/// A length-preserving 1-D convolution (PyTorch Conv1d, batch 1): dense as a
/// direct AVX-512 loop where the CPU has it, else im2col + sgemm; depthwise
/// (groups == channels) as a direct loop.
struct Conv1d {
    /// (outChannels, inChannels / groups, kernel)
    let weight: WeightBuffer
    /// (outChannels), absent for bias-free layers
    let bias: WeightBuffer?
    let inChannels: Int
    let outChannels: Int
    let kernel: Int
    let dilation: Int
    /// Zeros before the signal; padLeft + padRight == dilation·(kernel − 1), so the length is kept.
    let padLeft: Int
    let depthwise: Bool

    var padRight: Int { dilation * (kernel - 1) - padLeft }

    /// Multiply-adds below this many per thread are not worth waking a thread (~10 µs of work).
    static let minimumWorkPerThread = 1 << 20

    /// Output columns per thread worth splitting off, for work of `perColumn` multiply-adds per column.
    static func minimumColumns(perColumn: Int) -> Int { max(16, minimumWorkPerThread / max(1, perColumn)) }

    /// The direct kernel (pv_conv1d) runs on this CPU.
    static let directAvailable = pv_conv1d_available() == 1

    /// The input columns that output columns `out` read, within a signal `total` long.
    func inputColumns(for out: Range<Int>, total: Int) -> Range<Int> {
        out.expanded(padLeft, padRight, within: total)
    }

    /// y = conv(x) (+ y when `accumulate`). x (inChannels, T) → y (outChannels, T).
    func forward(_ x: FeatureMap, into y: FeatureMap, workspace: VoiceWorkspace, accumulate: Bool = false) {
        forward(SignalWindow(x), into: SignalWindow(y), columns: 0 ..< x.length, total: x.length,
                workspace: workspace, accumulate: accumulate)
    }

    /// y[:, out] = conv(x)[:, out] (+ y[:, out] when `accumulate`), in global columns of a
    /// signal `total` long. x must hold `inputColumns(for: out, total:)`; y must hold `out`.
    func forward(_ x: SignalWindow, into y: SignalWindow, columns out: Range<Int>, total: Int,
                 workspace: VoiceWorkspace, accumulate: Bool = false) {
        guard !out.isEmpty else { return }
        if depthwise {
            initialize(y, out, accumulate)
            forwardDepthwise(x, into: y, columns: out, total: total)
            return
        }
        let perColumn = outChannels * inChannels * kernel
        workspace.parallel(out, minimumPart: Self.minimumColumns(perColumn: perColumn)) { part, thread in
            if Self.directAvailable {
                forwardDirect(x, into: y, columns: part, total: total, accumulate: accumulate)
            } else {
                forwardGEMM(x, into: y, columns: part, total: total, accumulate: accumulate, cols: workspace.columns(thread))
            }
        }
    }

    /// y[:, out] (+)= b + W ⊛ x through sgemm: directly for 1×1, else by im2col tiles in `cols`.
    func forwardGEMM(_ x: SignalWindow, into y: SignalWindow, columns out: Range<Int>, total: Int, accumulate: Bool,
                     cols: UnsafeMutablePointer<Float>) {
        initialize(y, out, accumulate)
        if kernel == 1 {
            // (out, in) · (in, part)
            BLAS.sgemm(m: outChannels, n: out.count, k: inChannels, a: weight.base, lda: inChannels,
                       b: x.pointer(0, out.lowerBound), ldb: x.map.length, beta: 1,
                       c: y.pointer(0, out.lowerBound), ldc: y.map.length)
        } else {
            forwardIm2col(x, into: y, columns: out, total: total, cols: cols)
        }
    }

    /// Starts y[:, out] from the bias (or adds it to what is there); sgemm adds W·x on top.
    private func initialize(_ y: SignalWindow, _ out: Range<Int>, _ accumulate: Bool) {
        for co in 0..<outChannels {
            let b = bias?[co] ?? 0
            let row = y.pointer(co, out.lowerBound)
            if accumulate {
                if b != 0 { for i in 0..<out.count { row[i] += b } }
            } else {
                row.update(repeating: b, count: out.count)
            }
        }
    }

    /// y[:, out] (+)= b + W ⊛ x straight from x's rows; columns of x outside [0, total) read as zero.
    func forwardDirect(_ x: SignalWindow, into y: SignalWindow, columns out: Range<Int>, total: Int, accumulate: Bool) {
        // Window-local input columns: output column t reads x0 + (t − out.lower) + j·dilation.
        let x0 = out.lowerBound - padLeft - x.start
        pv_conv1d(weight.base, bias?.base, Int32(outChannels), Int32(inChannels), Int32(kernel), Int32(dilation),
                  x.map.data, x.map.length, x0, 0, min(x.map.length, total - x.start),
                  y.pointer(0, out.lowerBound), y.map.length, out.count, accumulate ? 1 : 0)
    }

    /// Tiles of output columns: cols (in·kernel, tile) holds the shifted inputs, then
    /// y[:, tile] += W (out, in·kernel) · cols.
    private func forwardIm2col(_ x: SignalWindow, into y: SignalWindow, columns out: Range<Int>, total: Int,
                               cols: UnsafeMutablePointer<Float>) {
        let rows = inChannels * kernel
        let tile = max(1, min(out.count, VoiceWorkspace.columnCapacity / rows))
        var t0 = out.lowerBound
        while t0 < out.upperBound {
            let n = min(tile, out.upperBound - t0)
            for ci in 0..<inChannels {
                let src = x.map.row(ci)
                for k in 0..<kernel {
                    let dst = cols + (ci * kernel + k) * n
                    // Output column t0 + j reads input t0 + j + shift; outside [0, total) is zero padding.
                    let shift = k * dilation - padLeft
                    let lo = min(n, max(0, -(t0 + shift)))
                    let hi = max(lo, min(n, total - t0 - shift))
                    if lo > 0 { dst.update(repeating: 0, count: lo) }
                    if hi > lo { (dst + lo).update(from: src + (t0 + lo + shift - x.start), count: hi - lo) }
                    if hi < n { (dst + hi).update(repeating: 0, count: n - hi) }
                }
            }
            BLAS.sgemm(m: outChannels, n: n, k: rows, a: weight.base, lda: rows,
                       b: cols, ldb: n, beta: 1, c: y.pointer(0, t0), ldc: y.map.length)
            t0 += n
        }
    }

    /// One filter per channel: y[c, i] += Σ_k W[c, k] · x[c, i + k·dilation − padLeft].
    private func forwardDepthwise(_ x: SignalWindow, into y: SignalWindow, columns out: Range<Int>, total: Int) {
        for c in 0..<outChannels {
            let w = weight.base + c * kernel
            for k in 0..<kernel {
                let wk = w[k]
                let shift = k * dilation - padLeft
                let lo = max(out.lowerBound, -shift), hi = min(out.upperBound, total - shift)
                guard lo < hi else { continue }
                let src = x.pointer(c, lo + shift), dst = y.pointer(c, lo)
                for i in 0..<(hi - lo) { dst[i] += wk * src[i] }
            }
        }
    }
}
