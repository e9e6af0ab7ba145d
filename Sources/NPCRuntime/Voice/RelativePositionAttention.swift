/// VITS multi-head self-attention with windowed relative positions (heads share
/// one key and one value embedding table of 2·window + 1 rows).
///
///   score[i, j] = (qᵢ/√d)·kⱼ + (|j − i| ≤ w ? (qᵢ/√d)·Eₖ[j − i + w] : 0)
///   out[i]      = Σⱼ p[i, j]·vⱼ + Σ_{|j − i| ≤ w} p[i, j]·Eᵥ[j − i + w]
struct RelativePositionAttention {
    let query: Conv1d
    let key: Conv1d
    let value: Conv1d
    let output: Conv1d
    /// (2·window + 1, headChannels)
    let relativeKeys: WeightBuffer
    /// (2·window + 1, headChannels)
    let relativeValues: WeightBuffer
    let heads: Int
    let headChannels: Int
    let window: Int

    /// Scratch this layer needs for T tokens, in floats.
    static func scratchCount(channels: Int, tokens t: Int) -> Int { 4 * channels * t + t * t }

    /// x (channels, T) → y (channels, T).
    func forward(_ x: FeatureMap, into y: FeatureMap, scratch: UnsafeMutablePointer<Float>, workspace: VoiceWorkspace) {
        let c = x.channels, t = x.length, d = headChannels
        let q = FeatureMap(data: scratch, channels: c, length: t)
        let k = FeatureMap(data: scratch + c * t, channels: c, length: t)
        let v = FeatureMap(data: scratch + 2 * c * t, channels: c, length: t)
        let attended = FeatureMap(data: scratch + 3 * c * t, channels: c, length: t)
        let p = scratch + 4 * c * t  // (T, T) attention weights of one head
        query.forward(x, into: q, workspace: workspace)
        key.forward(x, into: k, workspace: workspace)
        value.forward(x, into: v, workspace: workspace)
        VectorMath.scale(q.data, count: q.count, by: 1 / Float(d).squareRoot())

        for h in 0..<heads {
            let qh = q.rows(h * d, d), kh = k.rows(h * d, d), vh = v.rows(h * d, d), oh = attended.rows(h * d, d)
            // p (T, T) = qhᵀ · kh
            BLAS.sgemm(transA: true, m: t, n: t, k: d, a: qh.data, lda: t, b: kh.data, ldb: t, beta: 0, c: p, ldc: t)
            for i in 0..<t {
                let row = p + i * t
                for j in max(0, i - window)...min(t - 1, i + window) {
                    let e = relativeKeys.base + (j - i + window) * d
                    var s: Float = 0
                    for ch in 0..<d { s += qh.data[ch * t + i] * e[ch] }
                    row[j] += s
                }
                VectorMath.softmax(row, count: t)
            }
            // oh (d, T) = vh · pᵀ
            BLAS.sgemm(transB: true, m: d, n: t, k: t, a: vh.data, lda: t, b: p, ldb: t, beta: 0, c: oh.data, ldc: t)
            for i in 0..<t {
                let row = p + i * t
                for j in max(0, i - window)...min(t - 1, i + window) {
                    let e = relativeValues.base + (j - i + window) * d
                    let w = row[j]
                    for ch in 0..<d { oh.data[ch * t + i] += w * e[ch] }
                }
            }
        }
        output.forward(attended, into: y, workspace: workspace)
    }
}
