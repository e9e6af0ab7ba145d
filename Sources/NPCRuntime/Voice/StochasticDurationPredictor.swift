/// VITS's stochastic duration predictor run in reverse: noise (2, T) × noise_w is
/// pushed back through the spline flows, conditioned on the text encoder's
/// hidden states; channel 0 of the result is log-duration per phoneme.
struct StochasticDurationPredictor {
    /// hidden → filters
    let pre: Conv1d
    let convs: DilatedDepthSeparableConv
    /// filters → filters
    let projection: Conv1d
    /// Speaker conditioning, gin → hidden, for multi-speaker voices.
    let speakerCondition: Conv1d?
    /// In order of use: the last spline flow first. A channel flip precedes each,
    /// and one more the affine flow (ConvFlow 1 is unused in reverse and not exported).
    let flows: [SplineCouplingFlow]
    /// The first (element-wise affine) flow, inverted: z = (z − shift) · invScale, per channel.
    let shift: WeightBuffer
    let inverseScale: WeightBuffer

    var filters: Int { pre.outChannels }

    /// Log-durations (T) for the encoder's hidden states (hidden, T).
    func logDurations(hidden x: FeatureMap, speaker: FeatureMap?, noise: FeatureMap, workspace: VoiceWorkspace) -> [Float] {
        let t = x.length, f = filters
        // condition = proj(DDSConv(pre(x) [+ cond(g)]))
        let h = workspace.map(f, t), a = workspace.map(f, t), b = workspace.map(f, t)
        let stats = workspace.floats(2 * t)
        pre.forward(x, into: h, workspace: workspace)
        if let speakerCondition, let speaker {
            let g = workspace.map(f, 1)
            speakerCondition.forward(speaker, into: g, workspace: workspace)
            for c in 0..<f { for i in 0..<t { h.data[c * t + i] += g.data[c] } }
        }
        convs.forward(h, a: a, b: b, stats: stats, workspace: workspace)
        let condition = workspace.map(f, t)
        projection.forward(h, into: condition, workspace: workspace)

        let maxParams = flows.map { $0.projection.outChannels }.max() ?? 1
        let maxBins = flows.map(\.bins).max() ?? 1
        let scratch = SplineCouplingFlow.Scratch(
            h: workspace.map(f, t), a: a, b: b, params: workspace.map(maxParams, t), stats: stats,
            spline: workspace.floats(4 * (maxBins + 1) + 3 * maxBins))
        // z (2, T) = noise · noise_w, already scaled by the caller
        let z = noise
        for flow in flows {
            z.flipChannels()
            flow.reverse(z, condition: condition, scratch: scratch, workspace: workspace)
        }
        z.flipChannels()
        for c in 0..<2 {
            let row = z.row(c)
            for i in 0..<t { row[i] = (row[i] - shift[c]) * inverseScale[c] }
        }
        return Array(UnsafeBufferPointer(start: z.row(0), count: t))
    }
}
