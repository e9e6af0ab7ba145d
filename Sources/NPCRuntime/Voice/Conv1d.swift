/// A length-preserving 1-D convolution (PyTorch Conv1d, batch 1): dense via
/// im2col + sgemm, or depthwise (groups == channels) as a direct loop.
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

    /// y = conv(x) (+ y when `accumulate`). x (inChannels, T) → y (outChannels, T).
    func forward(_ x: FeatureMap, into y: FeatureMap, workspace: VoiceWorkspace, accumulate: Bool = false) {
        let t = x.length
        // Start from the bias (or add it to what is there), then let sgemm add W·x on top.
        for co in 0..<outChannels {
            let b = bias?[co] ?? 0
            let row = y.row(co)
            if accumulate {
                if b != 0 { for i in 0..<t { row[i] += b } }
            } else {
                row.update(repeating: b, count: t)
            }
        }
        if depthwise {
            forwardDepthwise(x, into: y)
        } else if kernel == 1 {
            // (out, in) · (in, T)
            BLAS.sgemm(m: outChannels, n: t, k: inChannels, a: weight.base, lda: inChannels,
                       b: x.data, ldb: t, beta: 1, c: y.data, ldc: t)
        } else {
            forwardIm2col(x, into: y, workspace: workspace)
        }
    }

    /// Tiles of time columns: cols (in·kernel, tile) holds the shifted inputs, then
    /// y[:, tile] += W (out, in·kernel) · cols.
    private func forwardIm2col(_ x: FeatureMap, into y: FeatureMap, workspace: VoiceWorkspace) {
        let t = x.length
        let rows = inChannels * kernel
        let tile = max(1, min(t, VoiceWorkspace.columnCapacity / rows))
        let cols = workspace.columns
        var t0 = 0
        while t0 < t {
            let n = min(tile, t - t0)
            for ci in 0..<inChannels {
                let src = x.row(ci)
                for k in 0..<kernel {
                    let dst = cols + (ci * kernel + k) * n
                    // Output column j reads input t0 + j + shift; outside [0, T) is zero padding.
                    let shift = k * dilation - padLeft
                    let lo = min(n, max(0, -(t0 + shift)))
                    let hi = max(lo, min(n, t - t0 - shift))
                    if lo > 0 { dst.update(repeating: 0, count: lo) }
                    if hi > lo { (dst + lo).update(from: src + t0 + lo + shift, count: hi - lo) }
                    if hi < n { (dst + hi).update(repeating: 0, count: n - hi) }
                }
            }
            BLAS.sgemm(m: outChannels, n: n, k: rows, a: weight.base, lda: rows,
                       b: cols, ldb: n, beta: 1, c: y.data + t0, ldc: t)
            t0 += n
        }
    }

    /// One filter per channel: y[c, i] += Σ_k W[c, k] · x[c, i + k·dilation − padLeft].
    private func forwardDepthwise(_ x: FeatureMap, into y: FeatureMap) {
        let t = x.length
        for c in 0..<outChannels {
            let src = x.row(c), dst = y.row(c)
            let w = weight.base + c * kernel
            for k in 0..<kernel {
                let wk = w[k]
                let shift = k * dilation - padLeft
                let lo = max(0, -shift), hi = min(t, t - shift)
                var i = lo
                while i < hi { dst[i] += wk * src[i + shift]; i += 1 }
            }
        }
    }
}
