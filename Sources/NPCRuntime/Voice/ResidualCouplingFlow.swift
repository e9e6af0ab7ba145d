/// VITS's normalising flow between prior and decoder latents, run in reverse:
/// for each coupling layer from last to first, flip the channels, then invert it.
///
/// A flip only renames channels, so the flips are folded into the layers'
/// weights at load: the flow then updates fixed halves of z in place, and each
/// layer's output at a frame depends on its input near that frame only. That
/// lets it run window by window, just ahead of the decoder (`Run`).
struct ResidualCouplingFlow {
    /// The layers in the order they run (the last coupling layer first), flips folded in.
    let steps: [Step]
    /// Columns one step reads beyond each side of its output, far from the ends.
    let stepContext: Int

    struct Step {
        let layer: ResidualCouplingLayer
        /// The step reads z's upper half and shifts its lower half (after an odd number
        /// of flips); otherwise the reverse.
        let readsUpperHalf: Bool
    }

    /// `layers` in forward order (flows.0, flows.2, …), as exported. An even number,
    /// so the flips cancel and z ends in its natural channel order.
    init(layers: [ResidualCouplingLayer]) throws(ONNXError) {
        guard layers.count % 2 == 0 else { throw .unsupported("\(layers.count) coupling layers; expected an even number") }
        steps = layers.reversed().enumerated().map { i, layer in
            // Before step i, i + 1 flips: when odd, x0 = z's upper half reversed and x1 = its lower half reversed.
            guard i % 2 == 0 else { return Step(layer: layer, readsUpperHalf: false) }
            return Step(layer: ResidualCouplingLayer(pre: layer.pre.reversingInputs(), wavenet: layer.wavenet,
                                                     post: layer.post.reversingOutputs()),
                        readsUpperHalf: true)
        }
        let far = 1 << 16
        stepContext = steps.map { step in
            let read = step.layer.inputColumns(for: far ..< far + 1, total: 2 * far)
            return max(far - read.lowerBound, read.upperBound - far - 1)
        }.max() ?? 0
    }

    /// One sentence's flow, run window by window: z is final on `0 ..< ready`.
    final class Run {
        let z: FeatureMap
        /// Columns each step has processed.
        private(set) var done: [Int]
        /// Most output columns per step call (the scratch's width without context).
        let window: Int
        let scratch: ResidualCouplingLayer.Scratch
        /// (2·hidden·layers) per step, the speaker's gate offsets; nil for single-speaker voices.
        let speakerGates: [UnsafeMutablePointer<Float>?]

        var ready: Int { done.last ?? z.length }

        init(z: FeatureMap, done: [Int], window: Int, scratch: ResidualCouplingLayer.Scratch, speakerGates: [UnsafeMutablePointer<Float>?]) {
            self.z = z
            self.done = done
            self.window = window
            self.scratch = scratch
            self.speakerGates = speakerGates
        }

        func markDone(_ step: Int, _ columns: Int) { done[step] = columns }
    }

    /// A run over z (2·half, frames), windows of up to `window` columns.
    func start(_ z: FeatureMap, window: Int, speaker: FeatureMap?, workspace: VoiceWorkspace) -> Run {
        let width = min(z.length, window + 2 * stepContext)
        let hidden = steps.map { $0.layer.pre.outChannels }.max() ?? 1
        let half = z.channels / 2
        let scratch = ResidualCouplingLayer.Scratch(
            h: workspace.map(hidden, width), skips: workspace.map(hidden, width), shift: workspace.map(half, width),
            wavenet: WaveNet.Scratch(gates: workspace.map(2 * hidden, width), acts: workspace.map(hidden, width),
                                     residualSkip: workspace.map(2 * hidden, width)))
        let gates: [UnsafeMutablePointer<Float>?] = steps.map { step in
            guard let cond = step.layer.wavenet.speakerCondition, let speaker else { return nil }
            let g = workspace.map(cond.outChannels, 1)
            cond.forward(speaker, into: g, workspace: workspace)
            return g.data
        }
        return Run(z: z, done: [Int](repeating: 0, count: steps.count), window: min(window, z.length), scratch: scratch, speakerGates: gates)
    }

    /// Makes z final on columns 0 ..< f (at least): each step runs as far as the next
    /// one reads, and no step overwrites rows a previous step still has to read.
    func advance(_ run: Run, to f: Int, workspace: VoiceWorkspace) {
        let total = run.z.length, half = run.z.channels / 2
        let context = stepContext
        for (i, step) in steps.enumerated() {
            // Step i must reach context · (steps after it) beyond f, so they can read their inputs.
            let target = min(total, f + context * (steps.count - 1 - i))
            var at = run.done[i]
            while at < target {
                let end = min(target, at + run.window)
                let lower = SignalWindow(run.z.rows(0, half)), upper = SignalWindow(run.z.rows(half, half))
                step.layer.reverse(x0: step.readsUpperHalf ? upper : lower, x1: step.readsUpperHalf ? lower : upper,
                                   columns: at ..< end, total: total, speakerGates: run.speakerGates[i].map { UnsafePointer($0) },
                                   scratch: run.scratch, workspace: workspace)
                at = end
            }
            run.markDone(i, max(run.done[i], at))
        }
    }
}

private extension Conv1d {
    /// The same convolution reading its input channels in reverse order.
    func reversingInputs() -> Conv1d {
        let perRow = inChannels * kernel
        let w = WeightBuffer(count: weight.count) { i in
            let co = i / perRow, ci = (i % perRow) / kernel, k = i % kernel
            return weight[co * perRow + (inChannels - 1 - ci) * kernel + k]
        }
        return sameProducts(Conv1d(weight: w, bias: bias, inChannels: inChannels, outChannels: outChannels, kernel: kernel,
                                   dilation: dilation, padLeft: padLeft, depthwise: depthwise))
    }

    /// The same convolution writing its output channels in reverse order.
    func reversingOutputs() -> Conv1d {
        let perRow = inChannels * kernel
        let w = WeightBuffer(count: weight.count) { i in weight[(outChannels - 1 - i / perRow) * perRow + i % perRow] }
        let b = bias.map { b in WeightBuffer(count: outChannels) { b[outChannels - 1 - $0] } }
        return sameProducts(Conv1d(weight: w, bias: b, inChannels: inChannels, outChannels: outChannels, kernel: kernel,
                                   dilation: dilation, padLeft: padLeft, depthwise: depthwise))
    }

    /// `conv` with int16 products when this one has them.
    private func sameProducts(_ conv: Conv1d) -> Conv1d {
        guard let integer else { return conv }
        return conv.withIntegerProducts(pairedOutputs: integer.paired != nil)
    }
}
