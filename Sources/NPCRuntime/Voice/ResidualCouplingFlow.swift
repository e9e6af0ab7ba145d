/// VITS's normalising flow between prior and decoder latents, run in reverse:
/// for each coupling layer from last to first, flip the channels, then invert it.
struct ResidualCouplingFlow {
    /// In forward order (flows.0, flows.2, …).
    let layers: [ResidualCouplingLayer]

    /// z (2·half, T) in place; `speaker` (gin, 1) for multi-speaker voices.
    func reverse(_ z: FeatureMap, speaker: FeatureMap?, workspace: VoiceWorkspace) {
        guard let first = layers.first else { return }
        let t = z.length, hidden = first.wavenet.hidden
        let gateRows = layers.compactMap { $0.wavenet.speakerCondition?.outChannels }.max() ?? 0
        let scratch = ResidualCouplingLayer.Scratch(
            h: workspace.map(hidden, t), skips: workspace.map(hidden, t), shift: workspace.map(first.half, t),
            wavenet: WaveNet.Scratch(gates: workspace.map(2 * hidden, t), acts: workspace.map(hidden, t),
                                     residualSkip: workspace.map(2 * hidden, t),
                                     speakerGates: gateRows > 0 && speaker != nil ? workspace.map(gateRows, 1) : nil))
        for layer in layers.reversed() {
            z.flipChannels()
            if let g = scratch.wavenet.speakerGates, let cond = layer.wavenet.speakerCondition, let speaker {
                cond.forward(speaker, into: g, workspace: workspace)
            }
            layer.reverse(z, scratch: scratch, workspace: workspace)
        }
    }
}
