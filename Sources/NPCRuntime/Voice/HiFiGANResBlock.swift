/// A HiFi-GAN residual block as a list of units; each unit runs its convolutions
/// with a leaky ReLU before each one and adds the result back:
/// ResBlock2 has one conv per unit, ResBlock1 two (convs1[i], convs2[i]).
struct HiFiGANResBlock {
    let units: [[Conv1d]]
    let slope: Float

    /// The columns unit `u` must produce so that the block's output is exact on `out`.
    func unitOutputColumns(_ u: Int, for out: Range<Int>, total: Int) -> Range<Int> {
        var r = out
        for later in units[(u + 1)...].reversed() { r = Self.inputColumns(of: later, for: r, total: total) }
        return r
    }

    /// The input columns the block reads to produce `out`.
    func inputColumns(for out: Range<Int>, total: Int) -> Range<Int> {
        var r = out
        for unit in units.reversed() { r = Self.inputColumns(of: unit, for: r, total: total) }
        return r
    }

    private static func inputColumns(of unit: [Conv1d], for out: Range<Int>, total: Int) -> Range<Int> {
        var r = out
        for conv in unit.reversed() { r = conv.inputColumns(for: r, total: total) }
        return r
    }

    /// x in place, exact on the columns `out` of a signal `total` long; x must hold
    /// `inputColumns(for: out, total:)`. `a`, `b` are scratch with x's geometry
    /// (`b` is only used by two-conv units).
    func forward(_ x: SignalWindow, columns out: Range<Int>, total: Int, a: SignalWindow, b: SignalWindow,
                 workspace: VoiceWorkspace) {
        for (u, unit) in units.enumerated() {
            let produced = unitOutputColumns(u, for: out, total: total)
            var input = x
            for (i, conv) in unit.enumerated() {
                // The columns this conv writes.
                var written = produced
                for later in unit[(i + 1)...].reversed() { written = later.inputColumns(for: written, total: total) }
                if i == unit.count - 1 {
                    // x += conv(lrelu(·))
                    conv.forward(leakyReLU: slope, input, scratch: a, into: x, columns: written, total: total,
                                 workspace: workspace, accumulate: true)
                } else {
                    conv.forward(leakyReLU: slope, input, scratch: a, into: b, columns: written, total: total, workspace: workspace)
                    input = b
                }
            }
        }
    }
}
