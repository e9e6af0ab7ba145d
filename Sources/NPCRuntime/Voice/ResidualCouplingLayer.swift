/// VITS's mean-only residual coupling layer in reverse: the first half of the
/// channels predicts a shift that is subtracted from the second half.
struct ResidualCouplingLayer {
    /// half → hidden
    let pre: Conv1d
    let wavenet: WaveNet
    /// hidden → half
    let post: Conv1d

    var half: Int { pre.inChannels }

    /// Windows sized for `capacity` columns.
    struct Scratch {
        let h: FeatureMap, skips: FeatureMap, shift: FeatureMap
        let wavenet: WaveNet.Scratch
    }

    /// The x0 columns read to shift x1 on `out`.
    func inputColumns(for out: Range<Int>, total: Int) -> Range<Int> { wavenet.inputColumns(for: out, total: total) }

    /// x1[:, out] −= post(WN(pre(x0))); x0 and x1 are (half) rows of a signal `total` long,
    /// x0 holding `inputColumns(for: out)`.
    func reverse(x0: SignalWindow, x1: SignalWindow, columns out: Range<Int>, total: Int, speakerGates: UnsafePointer<Float>?,
                 scratch s: Scratch, workspace: VoiceWorkspace) {
        let read = inputColumns(for: out, total: total)
        let h = SignalWindow(FeatureMap(data: s.h.data, channels: pre.outChannels, length: read.count), start: read.lowerBound)
        let skips = SignalWindow(FeatureMap(data: s.skips.data, channels: pre.outChannels, length: out.count), start: out.lowerBound)
        let shift = SignalWindow(FeatureMap(data: s.shift.data, channels: half, length: out.count), start: out.lowerBound)
        let wn = WaveNet.Scratch(gates: s.wavenet.gates, acts: s.wavenet.acts, residualSkip: s.wavenet.residualSkip)
        // h = pre(x0); m = post(WN(h)); x1 = x1 − m
        pre.forward(x0, into: h, columns: read, total: total, workspace: workspace)
        wavenet.forward(h, output: skips, columns: out, total: total, speakerGates: speakerGates, scratch: wn, workspace: workspace)
        post.forward(skips, into: shift, columns: out, total: total, workspace: workspace)
        workspace.forEachRow(half, columns: out.count) { c in
            let row = x1.pointer(c, out.lowerBound), m = shift.pointer(c, out.lowerBound)
            for j in 0..<out.count { row[j] -= m[j] }
        }
    }
}
