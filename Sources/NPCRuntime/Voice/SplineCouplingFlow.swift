/// VITS's ConvFlow in reverse: channel 0 passes through and, with the
/// conditioning, predicts a rational-quadratic spline that is inverted on channel 1.
struct SplineCouplingFlow {
    /// 1 → filters
    let pre: Conv1d
    let convs: DilatedDepthSeparableConv
    /// filters → 3·bins − 1 spline parameters per frame
    let projection: Conv1d
    let bins: Int
    /// VITS's ConvFlow tail bound: outside [−5, 5] the spline is the identity.
    static let tailBound: Float = 5

    struct Scratch {
        let h: FeatureMap, a: FeatureMap, b: FeatureMap, params: FeatureMap
        let stats: UnsafeMutablePointer<Float>
        let spline: UnsafeMutablePointer<Float>
    }

    /// z (2, T) in place; `condition` (filters, T) is the predictor's processed text.
    func reverse(_ z: FeatureMap, condition: FeatureMap, scratch s: Scratch, workspace: VoiceWorkspace) {
        let t = z.length
        pre.forward(z.rows(0, 1), into: s.h, workspace: workspace)
        s.h.add(condition)
        convs.forward(s.h, a: s.a, b: s.b, stats: s.stats, workspace: workspace)
        projection.forward(s.h, into: s.params, workspace: workspace)
        // Gather each frame's parameters: widths and heights are scaled by 1/√filters.
        let k = 3 * bins - 1
        let frame = s.spline + 4 * (bins + 1)
        let inverseRoot = 1 / Float(pre.outChannels).squareRoot()
        let x1 = z.row(1)
        for i in 0..<t {
            for p in 0..<k { frame[p] = s.params.data[p * t + i] }
            for p in 0..<(2 * bins) { frame[p] *= inverseRoot }
            x1[i] = RationalQuadraticSpline.inverse(x1[i], widths: frame, heights: frame + bins,
                                                    derivatives: frame + 2 * bins, bins: bins,
                                                    bound: Self.tailBound, scratch: s.spline)
        }
    }
}
