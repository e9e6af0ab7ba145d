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

    /// Windows with the geometry of the input x.
    struct Scratch {
        /// (2·hidden, ·)
        let gates: FeatureMap
        /// (hidden, ·)
        let acts: FeatureMap
        /// (2·hidden, ·)
        let residualSkip: FeatureMap
    }

    /// Floats per column of `Scratch`.
    var scratchRows: Int { 5 * hidden }

    /// The columns layer `j` must produce for skips exact on `out`.
    private func layerColumns(_ j: Int, for out: Range<Int>, total: Int) -> Range<Int> {
        var r = out
        for later in layers[(j + 1)...].reversed() { r = later.input.inputColumns(for: r, total: total) }
        return r
    }

    /// The input columns read to produce skips on `out`.
    func inputColumns(for out: Range<Int>, total: Int) -> Range<Int> {
        layers.first.map { $0.input.inputColumns(for: layerColumns(0, for: out, total: total), total: total) } ?? out
    }

    /// x (hidden) is consumed as the residual stream and must hold `inputColumns(for: out)`;
    /// the skips summed go to `output` (hidden) on `out`. `speakerGates` (2·hidden·layers),
    /// the speaker's per-layer gate offsets, for multi-speaker voices.
    func forward(_ x: SignalWindow, output: SignalWindow, columns out: Range<Int>, total: Int,
                 speakerGates: UnsafePointer<Float>?, scratch s: Scratch, workspace: VoiceWorkspace) {
        let h = hidden
        func window(_ m: FeatureMap, _ rows: Int) -> SignalWindow {
            SignalWindow(FeatureMap(data: m.data, channels: rows, length: x.map.length), start: x.start)
        }
        let gates = window(s.gates, 2 * h), acts = window(s.acts, h)
        for c in 0..<h { output.pointer(c, out.lowerBound).update(repeating: 0, count: out.count) }
        for (i, layer) in layers.enumerated() {
            let r = layerColumns(i, for: out, total: total)
            layer.input.forward(x, into: gates, columns: r, total: total, workspace: workspace)
            if let g = speakerGates {
                workspace.forEachRow(2 * h, columns: r.count) { c in
                    let offset = g[i * 2 * h + c], row = gates.pointer(c, r.lowerBound)
                    for j in 0..<r.count { row[j] += offset }
                }
            }
            // acts = tanh(gates[:h]) · sigmoid(gates[h:])
            workspace.forEachRow(h, columns: r.count, minimumElements: VoiceWorkspace.minimumTranscendentalsPerThread) { c in
                pv_gate_tanh_sigmoid(gates.pointer(c, r.lowerBound), gates.pointer(h + c, r.lowerBound), acts.pointer(c, r.lowerBound), r.count)
            }
            let rs = window(s.residualSkip, layer.residualSkip.outChannels)
            layer.residualSkip.forward(acts, into: rs, columns: r, total: total, workspace: workspace)
            let skipRow = i < layers.count - 1 ? h : 0
            workspace.forEachRow(h, columns: r.count) { c in
                if i < layers.count - 1 { VectorMath.add(rs.pointer(c, r.lowerBound), into: x.pointer(c, r.lowerBound), count: r.count) }
                VectorMath.add(rs.pointer(skipRow + c, out.lowerBound), into: output.pointer(c, out.lowerBound), count: out.count)
            }
        }
    }
}
