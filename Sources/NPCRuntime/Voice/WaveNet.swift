import VoiceKernels

/// VITS's WN: gated dilated convolutions (tanh · sigmoid) with residual and skip
/// outputs; the skips summed are the result.
struct WaveNet {
    struct Layer {
        /// hidden → 2·hidden
        let input: Conv1d
        /// hidden → 2·hidden (residual rows first, then skip), or hidden (skip only) for the last layer
        let residualSkip: Conv1d
    }
    let layers: [Layer]
    /// Speaker conditioning, gin → 2·hidden·layers, for multi-speaker voices.
    let speakerCondition: Conv1d?
    let hidden: Int

    struct Scratch {
        /// (2·hidden, T)
        let gates: FeatureMap
        /// (hidden, T)
        let acts: FeatureMap
        /// (2·hidden, T)
        let residualSkip: FeatureMap
        /// (2·hidden·layers, 1), the speaker's per-layer gate offsets
        let speakerGates: FeatureMap?
    }

    /// x (hidden, T) is consumed as the residual stream; skips are summed into `output` (hidden, T).
    func forward(_ x: FeatureMap, output: FeatureMap, scratch s: Scratch, workspace: VoiceWorkspace) {
        let t = x.length, h = hidden
        output.fill(0)
        for (i, layer) in layers.enumerated() {
            layer.input.forward(x, into: s.gates, workspace: workspace)
            if let g = s.speakerGates {
                for c in 0..<(2 * h) {
                    let offset = g.data[i * 2 * h + c], row = s.gates.row(c)
                    for j in 0..<t { row[j] += offset }
                }
            }
            // acts = tanh(gates[:h]) · sigmoid(gates[h:])
            pv_gate_tanh_sigmoid(s.gates.row(0), s.gates.row(h), s.acts.data, h * t)
            layer.residualSkip.forward(s.acts, into: s.residualSkip, workspace: workspace)
            if i < layers.count - 1 {
                x.add(s.residualSkip.rows(0, h))
                output.add(s.residualSkip.rows(h, h))
            } else {
                output.add(s.residualSkip.rows(0, h))
            }
        }
    }
}
