/// VITS's prior text encoder: phoneme embedding × √hidden, a stack of
/// (relative attention → residual + LayerNorm → conv FFN → residual + LayerNorm),
/// then a 1×1 projection to the prior's mean and log-std.
struct TextEncoder {
    /// (symbols, hidden)
    let embedding: WeightBuffer
    let symbols: Int
    let hidden: Int
    let attention: [RelativePositionAttention]
    let attentionNorms: [ChannelLayerNorm]
    let feedForward: [ConvFeedForward]
    let feedForwardNorms: [ChannelLayerNorm]
    /// hidden → 2·latent (mean rows first, then log-std rows)
    let projection: Conv1d

    var latentChannels: Int { projection.outChannels / 2 }

    struct Output {
        /// (hidden, T), input of the duration predictor
        let hidden: FeatureMap
        /// (latent, T)
        let mean: FeatureMap
        /// (latent, T)
        let logStd: FeatureMap
    }

    /// ids must already be checked against `symbols`.
    func forward(_ ids: [Int], workspace: VoiceWorkspace) -> Output {
        let t = ids.count, h = hidden
        let x = workspace.map(h, t)
        // embedding, transposed to (hidden, T), scaled by √hidden
        let scale = Float(h).squareRoot()
        for (i, id) in ids.enumerated() {
            let e = embedding.base + id * h
            for c in 0..<h { x.data[c * t + i] = e[c] * scale }
        }
        let y = workspace.map(h, t)
        let filters = feedForward.map(\.expand.outChannels).max() ?? h
        let ffnHidden = workspace.map(filters, t)
        let attentionScratch = workspace.floats(attention.map { $0.scratchCount(tokens: t) }.max() ?? 0)
        let stats = workspace.floats(2 * t)
        for l in 0..<attention.count {
            // x = norm1(x + attn(x))
            attention[l].forward(x, into: y, scratch: attentionScratch, workspace: workspace)
            x.add(y)
            attentionNorms[l].apply(x, stats: stats)
            // x = norm2(x + ffn(x))
            let ffnRows = FeatureMap(data: ffnHidden.data, channels: feedForward[l].expand.outChannels, length: t)
            feedForward[l].forward(x, into: y, hidden: ffnRows, workspace: workspace)
            x.add(y)
            feedForwardNorms[l].apply(x, stats: stats)
        }
        let projected = workspace.map(projection.outChannels, t)
        projection.forward(x, into: projected, workspace: workspace)
        return Output(hidden: x, mean: projected.rows(0, latentChannels),
                      logStd: projected.rows(latentChannels, latentChannels))
    }
}
