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

    /// x (inChannels, T) → y (outChannels, outputLength(T)).
    func forward(_ x: FeatureMap, into y: FeatureMap, workspace: VoiceWorkspace) {
        let t = x.length, tOut = y.length
        for co in 0..<outChannels { y.row(co).update(repeating: bias?[co] ?? 0, count: tOut) }
        let rows = outChannels * kernel
        let tile = max(1, min(t, VoiceWorkspace.columnCapacity / rows))
        let cols = workspace.columns
        var t0 = 0
        while t0 < t {
            let n = min(tile, t - t0)
            // cols (out·kernel, n) = Wᵀ (out·kernel, in) · x[:, t0 ..< t0 + n]
            BLAS.sgemm(transA: true, m: rows, n: n, k: inChannels, a: weight.base, lda: rows,
                       b: x.data + t0, ldb: t, beta: 0, c: cols, ldc: n)
            for co in 0..<outChannels {
                let dst = y.row(co)
                for k in 0..<kernel {
                    let src = cols + (co * kernel + k) * n
                    // Input frame t0 + j lands on output (t0 + j)·stride + k − padding.
                    let base = t0 * stride + k - padding
                    let lo = base >= 0 ? 0 : (-base + stride - 1) / stride
                    let hi = min(n, base >= tOut ? 0 : (tOut - 1 - base) / stride + 1)
                    var j = lo
                    while j < hi { dst[base + j * stride] += src[j]; j += 1 }
                }
            }
            t0 += n
        }
    }
}
