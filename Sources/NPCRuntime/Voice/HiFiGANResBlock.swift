/// A HiFi-GAN residual block as a list of units; each unit runs its convolutions
/// with a leaky ReLU before each one and adds the result back:
/// ResBlock2 has one conv per unit, ResBlock1 two (convs1[i], convs2[i]).
struct HiFiGANResBlock {
    let units: [[Conv1d]]
    let slope: Float

    /// x (channels, T) in place; `a`, `b` are (channels, T) scratch (`b` is only used by two-conv units).
    func forward(_ x: FeatureMap, a: FeatureMap, b: FeatureMap, workspace: VoiceWorkspace) {
        for unit in units {
            var source = x
            for (i, conv) in unit.enumerated() {
                VectorMath.leakyReLU(source.data, into: a.data, count: a.count, slope: slope)
                if i == unit.count - 1 {
                    // x += conv(lrelu(·))
                    conv.forward(a, into: x, workspace: workspace, accumulate: true)
                } else {
                    conv.forward(a, into: b, workspace: workspace)
                    source = b
                }
            }
        }
    }
}
