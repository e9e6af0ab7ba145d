/// VITS's LayerNorm: normalises over channels at each time step, eps 1e-5.
struct ChannelLayerNorm {
    /// (channels)
    let gamma: WeightBuffer
    /// (channels)
    let beta: WeightBuffer
    let channels: Int
    static let epsilon: Float = 1e-5

    /// In place on x (channels, T); `stats` holds 2·T floats of scratch.
    func apply(_ x: FeatureMap, stats: UnsafeMutablePointer<Float>) {
        let t = x.length
        let mean = stats, variance = stats + t
        mean.update(repeating: 0, count: t)
        variance.update(repeating: 0, count: t)
        // Row-wise sums keep the (channels, T) layout cache-friendly.
        for c in 0..<channels { VectorMath.add(x.row(c), into: mean, count: t) }
        VectorMath.scale(mean, count: t, by: 1 / Float(channels))
        for c in 0..<channels {
            let row = x.row(c)
            for i in 0..<t { let d = row[i] - mean[i]; variance[i] += d * d }
        }
        for i in 0..<t { variance[i] = 1 / (variance[i] / Float(channels) + Self.epsilon).squareRoot() }
        for c in 0..<channels {
            let row = x.row(c)
            let g = gamma[c], b = beta[c]
            for i in 0..<t { row[i] = (row[i] - mean[i]) * variance[i] * g + b }
        }
    }
}
