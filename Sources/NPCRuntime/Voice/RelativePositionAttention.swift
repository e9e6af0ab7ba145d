import VoiceKernels

/// VITS multi-head self-attention with windowed relative positions (heads share
/// one key and one value embedding table of 2·window + 1 rows).
///
///   score[i, j] = (qᵢ/√d)·kⱼ + (|j − i| ≤ w ? (qᵢ/√d)·Eₖ[j − i + w] : 0)
///   out[i]      = Σⱼ p[i, j]·vⱼ + Σ_{|j − i| ≤ w} p[i, j]·Eᵥ[j − i + w]
///
/// Every product is a 1×1 convolution (pv_conv1d: the same sums at every CPU level), on
/// scores kept transposed, (j, i), so that the value product reads them as they are.
/// Heads run in parallel.
struct RelativePositionAttention {
    let query: Conv1d
    let key: Conv1d
    let value: Conv1d
    let output: Conv1d
    /// (2·window + 1, headChannels)
    let relativeKeys: WeightBuffer
    /// (headChannels, 2·window + 1): the value table transposed, the weights of its product
    let relativeValuesByChannel: WeightBuffer
    let heads: Int
    let headChannels: Int
    let window: Int

    /// relativeKeys, relativeValues: (2·window + 1, headChannels) tables.
    init(query: Conv1d, key: Conv1d, value: Conv1d, output: Conv1d, relativeKeys: WeightBuffer, relativeValues: WeightBuffer,
         heads: Int, headChannels: Int, window: Int) {
        self.query = query
        self.key = key
        self.value = value
        self.output = output
        self.relativeKeys = relativeKeys
        let span = 2 * window + 1
        relativeValuesByChannel = WeightBuffer(count: headChannels * span) { i in
            relativeValues[(i % span) * headChannels + i / span]
        }
        self.heads = heads
        self.headChannels = headChannels
        self.window = window
    }

    /// Floats per head: kᵀ (T, d), scores (T, T), relative terms (2w + 1, T), the softmax's
    /// column statistics (2, T).
    private static func headScratch(tokens t: Int, headChannels d: Int, window w: Int) -> Int {
        t * d + t * t + (2 * w + 1) * t + 2 * t
    }

    /// Scratch this layer needs for T tokens, in floats.
    func scratchCount(tokens t: Int) -> Int {
        let c = heads * headChannels
        return 4 * c * t + heads * Self.headScratch(tokens: t, headChannels: headChannels, window: window)
    }

    /// x (channels, T) → y (channels, T).
    func forward(_ x: FeatureMap, into y: FeatureMap, scratch: UnsafeMutablePointer<Float>, workspace: VoiceWorkspace) {
        let c = x.channels, t = x.length, d = headChannels
        let q = FeatureMap(data: scratch, channels: c, length: t)
        let k = FeatureMap(data: scratch + c * t, channels: c, length: t)
        let v = FeatureMap(data: scratch + 2 * c * t, channels: c, length: t)
        let attended = FeatureMap(data: scratch + 3 * c * t, channels: c, length: t)
        query.forward(x, into: q, workspace: workspace)
        key.forward(x, into: k, workspace: workspace)
        value.forward(x, into: v, workspace: workspace)
        VectorMath.scale(q.data, count: q.count, by: 1 / Float(d).squareRoot())
        let perHead = Self.headScratch(tokens: t, headChannels: d, window: window)
        workspace.parallel(0 ..< heads, minimumPart: 1) { part, _ in
            for h in part {
                attend(q: q.rows(h * d, d), k: k.rows(h * d, d), v: v.rows(h * d, d), into: attended.rows(h * d, d),
                       scratch: scratch + 4 * c * t + h * perHead)
            }
        }
        output.forward(attended, into: y, workspace: workspace)
    }

    /// One head: q, k, v (d, T) → out (d, T).
    private func attend(q: FeatureMap, k: FeatureMap, v: FeatureMap, into out: FeatureMap, scratch: UnsafeMutablePointer<Float>) {
        let t = q.length, d = headChannels, span = 2 * window + 1
        let kT = scratch                      // (T, d)
        let scores = kT + t * d               // (T: j, T: i), scoreᵀ
        let relative = scores + t * t         // (2w + 1, T)
        let stats = relative + span * t       // (2, T)
        for ch in 0..<d {
            let row = k.data + ch * t
            for j in 0..<t { kT[j * d + ch] = row[j] }
        }
        // scores[j, i] = Σ_ch k[ch, j]·q[ch, i]
        pv_conv1d(kT, nil, Int32(t), Int32(d), 1, 1, q.data, t, 0, 0, t, scores, t, t, 0)
        // relative[r, i] = Σ_ch Eₖ[r, ch]·q[ch, i], added where j = i + r − w lies in 0..<T
        pv_conv1d(relativeKeys.base, nil, Int32(span), Int32(d), 1, 1, q.data, t, 0, 0, t, relative, t, t, 0)
        for r in 0..<span {
            let offset = r - window, lo = max(0, -offset), hi = min(t, t - offset)
            guard lo < hi else { continue }   // offsets beyond a short sentence
            for i in lo ..< hi { scores[(i + offset) * t + i] += relative[r * t + i] }
        }
        VectorMath.softmaxColumns(scores, rows: t, columns: t, stats: stats)
        // out[ch, i] = Σ_j v[ch, j]·p[i, j]
        pv_conv1d(v.data, nil, Int32(d), Int32(t), 1, 1, scores, t, 0, 0, t, out.data, t, t, 0)
        // out[ch, i] += Σ_r Eᵥ[r, ch]·p[i, i + r − w]
        for r in 0..<span {
            let offset = r - window, row = relative + r * t
            for i in 0..<t { row[i] = i + offset >= 0 && i + offset < t ? scores[(i + offset) * t + i] : 0 }
        }
        pv_conv1d(relativeValuesByChannel.base, nil, Int32(d), Int32(span), 1, 1, relative, t, 0, 0, t, out.data, t, t, 1)
    }
}
