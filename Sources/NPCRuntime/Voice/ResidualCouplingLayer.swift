/// VITS's mean-only residual coupling layer in reverse: the first half of the
/// channels predicts a shift that is subtracted from the second half.
struct ResidualCouplingLayer {
    /// half → hidden
    let pre: Conv1d
    let wavenet: WaveNet
    /// hidden → half
    let post: Conv1d

    var half: Int { pre.inChannels }

    struct Scratch {
        let h: FeatureMap, skips: FeatureMap, shift: FeatureMap
        let wavenet: WaveNet.Scratch
    }

    /// z (2·half, T) in place.
    func reverse(_ z: FeatureMap, scratch s: Scratch, workspace: VoiceWorkspace) {
        // h = pre(x0); m = post(WN(h)); x1 = x1 − m
        pre.forward(z.rows(0, half), into: s.h, workspace: workspace)
        wavenet.forward(s.h, output: s.skips, scratch: s.wavenet, workspace: workspace)
        post.forward(s.skips, into: s.shift, workspace: workspace)
        let x1 = z.rows(half, half)
        for j in 0..<x1.count { x1.data[j] -= s.shift.data[j] }
    }
}
