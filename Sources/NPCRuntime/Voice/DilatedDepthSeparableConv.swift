import VoiceKernels

/// VITS's DDSConv: layers of depthwise dilated conv → LayerNorm → GELU →
/// 1×1 conv → LayerNorm → GELU, each added back to the input.
struct DilatedDepthSeparableConv {
    struct Layer {
        let depthwise: Conv1d
        let norm1: ChannelLayerNorm
        let pointwise: Conv1d
        let norm2: ChannelLayerNorm
    }
    let layers: [Layer]

    /// In place on x (channels, T); `a` and `b` are (channels, T) scratch, `stats` 2·T floats.
    func forward(_ x: FeatureMap, a: FeatureMap, b: FeatureMap, stats: UnsafeMutablePointer<Float>, workspace: VoiceWorkspace) {
        for layer in layers {
            layer.depthwise.forward(x, into: a, workspace: workspace)
            layer.norm1.apply(a, stats: stats)
            gelu(a, workspace)
            layer.pointwise.forward(a, into: b, workspace: workspace)
            layer.norm2.apply(b, stats: stats)
            gelu(b, workspace)
            x.add(b)
        }
    }

    private func gelu(_ x: FeatureMap, _ workspace: VoiceWorkspace) {
        workspace.forEachRow(x.channels, columns: x.length, minimumElements: VoiceWorkspace.minimumTranscendentalsPerThread) { c in
            pv_gelu(x.row(c), x.length)
        }
    }
}
