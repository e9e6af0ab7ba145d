import VoiceKernels

/// HiFi-GAN decoder: conv_pre, then per stage leaky ReLU → transposed-conv
/// upsampling → mean of the multi-receptive-field residual blocks; finally
/// leaky ReLU → conv_post → tanh.
///
/// It decodes any window of output frames exactly: walking back from the
/// window's samples, each layer computes only the columns the next one reads
/// (its receptive field, from the kernels, dilations and strides), so a
/// sentence decoded window by window equals the sentence decoded whole.
struct HiFiGANGenerator {
    let pre: Conv1d
    let upsamplers: [ConvTranspose1d]
    /// `kernelsPerStage` blocks per upsampler, in order.
    let resBlocks: [HiFiGANResBlock]
    let kernelsPerStage: Int
    let post: Conv1d
    /// Speaker conditioning, gin → pre.outChannels, for multi-speaker voices.
    let speakerCondition: Conv1d?
    let upsampleSlope: Float
    let finalSlope: Float

    var needsPairScratch: Bool { resBlocks.contains { $0.units.contains { $0.count > 1 } } }

    /// Samples per latent frame: the product of the upsampling strides.
    var hopLength: Int { upsamplers.reduce(1) { $0 * $1.stride } }

    /// Columns per latent frame after upsampler `stage`.
    func rate(afterStage stage: Int) -> Int { upsamplers[...stage].reduce(1) { $0 * $1.stride } }

    func blocks(ofStage stage: Int) -> ArraySlice<HiFiGANResBlock> {
        resBlocks[(stage * kernelsPerStage) ..< ((stage + 1) * kernelsPerStage)]
    }

    // MARK: Receptive field

    /// The columns stage `stage` must output (after its blocks) for output frames
    /// `frames` of a sentence `totalFrames` long.
    func stageOutputColumns(_ stage: Int, frames: Range<Int>, totalFrames: Int) -> Range<Int> {
        let last = upsamplers.count - 1
        var need = post.inputColumns(for: frames.lowerBound * hopLength ..< frames.upperBound * hopLength,
                                     total: totalFrames * hopLength)
        var s = last
        while s > stage {
            need = upsamplers[s].inputColumns(for: upsampledColumns(s, output: need, totalFrames: totalFrames),
                                              inputTotal: totalFrames * rate(afterStage: s - 1))
            s -= 1
        }
        return need
    }

    /// The upsampler output stage `stage` needs for stage output `output`: the hull of its blocks' inputs.
    func upsampledColumns(_ stage: Int, output: Range<Int>, totalFrames: Int) -> Range<Int> {
        let total = totalFrames * rate(afterStage: stage)
        var lo = output.lowerBound, hi = output.upperBound
        for block in blocks(ofStage: stage) {
            let r = block.inputColumns(for: output, total: total)
            lo = min(lo, r.lowerBound)
            hi = max(hi, r.upperBound)
        }
        return lo ..< hi
    }

    /// The latent frames conv_pre must output for output frames `frames`.
    func preColumns(frames: Range<Int>, totalFrames: Int) -> Range<Int> {
        upsamplers[0].inputColumns(for: upsampledColumns(0, output: stageOutputColumns(0, frames: frames, totalFrames: totalFrames),
                                                         totalFrames: totalFrames),
                                   inputTotal: totalFrames)
    }

    /// Latent frames read beyond each side of a window of output frames, far from the sentence's ends.
    var contextFrames: (before: Int, after: Int) {
        let far = 1 << 16, total = 2 * far
        let latent = pre.inputColumns(for: preColumns(frames: far ..< far + 1, totalFrames: total), total: total)
        return (far - latent.lowerBound, latent.upperBound - far - 1)
    }

    // MARK: Scratch

    /// Buffers for decoding windows of up to `maxFrames` output frames; allocated
    /// once, reused by every window.
    final class Scratch {
        let maxFrames: Int
        /// Floats per map: the largest (channels × columns) any stage needs.
        let capacity: Int
        /// x: conv_pre's output, then each stage's mean; u: the upsampler's output;
        /// t: a block's running signal; a: leaky-ReLU'd input of a conv; b: ResBlock1's middle.
        let x, u, t, a, b: UnsafeMutablePointer<Float>

        init(maxFrames: Int, capacity: Int, pairs: Bool) {
            self.maxFrames = maxFrames
            self.capacity = capacity
            // Not zeroed: every column a layer reads was written first for the same window;
            // stale columns are only loaded for lanes whose results are dropped.
            func buffer() -> UnsafeMutablePointer<Float> { UnsafeMutablePointer<Float>.allocate(capacity: capacity) }
            x = buffer(); u = buffer(); t = buffer(); a = buffer()
            b = pairs ? buffer() : a
        }

        var hasPairs: Bool { b != a }

        deinit {
            x.deallocate(); u.deallocate(); t.deallocate()
            if b != a { b.deallocate() }
            a.deallocate()
        }
    }

    /// Floats per scratch map for windows of up to `maxFrames` frames of a sentence `totalFrames` long.
    func scratchCapacity(maxFrames: Int, totalFrames: Int) -> Int {
        // A window far from both ends reads the most; near an end, or in a short sentence, columns are clipped.
        let far = 1 << 12, total = 2 * far + maxFrames
        let frames = far ..< far + maxFrames
        var floats = pre.outChannels * min(totalFrames, preColumns(frames: frames, totalFrames: total).count)
        for s in 0..<upsamplers.count {
            let out = stageOutputColumns(s, frames: frames, totalFrames: total)
            let columns = min(totalFrames * rate(afterStage: s), upsampledColumns(s, output: out, totalFrames: total).count)
            floats = max(floats, upsamplers[s].outChannels * columns)
        }
        return max(1, floats)
    }

    // MARK: Decoding

    /// Decodes output frames `frames` of z (latent, totalFrames) into
    /// `samples` (frames.count · hopLength floats). `speakerBias` (pre.outChannels)
    /// is the speaker conditioning added after conv_pre, if any.
    func decode(_ z: FeatureMap, frames: Range<Int>, speakerBias: UnsafePointer<Float>?, scratch: Scratch,
                workspace: VoiceWorkspace, into samples: UnsafeMutablePointer<Float>,
                observer: VITSModel.Observer? = nil) {
        let totalFrames = z.length
        let whole = frames == 0 ..< totalFrames

        // conv_pre: z → x (C0, pre columns)
        let preOut = preColumns(frames: frames, totalFrames: totalFrames)
        var x = SignalWindow(FeatureMap(data: scratch.x, channels: pre.outChannels, length: preOut.count), start: preOut.lowerBound)
        pre.forward(SignalWindow(z), into: x, columns: preOut, total: totalFrames, workspace: workspace)
        if let speakerBias {
            for c in 0..<x.map.channels {
                let row = x.map.row(c), g = speakerBias[c]
                for j in 0..<x.map.length { row[j] += g }
            }
        }
        if whole { observer?("dec_conv_pre", x.map) }

        for (stage, up) in upsamplers.enumerated() {
            let total = totalFrames * rate(afterStage: stage), c = up.outChannels
            let output = stageOutputColumns(stage, frames: frames, totalFrames: totalFrames)
            let upsampled = upsampledColumns(stage, output: output, totalFrames: totalFrames)
            func window(_ p: UnsafeMutablePointer<Float>) -> SignalWindow {
                SignalWindow(FeatureMap(data: p, channels: c, length: upsampled.count), start: upsampled.lowerBound)
            }
            let u = window(scratch.u), t = window(scratch.t), a = window(scratch.a), b = window(scratch.b)

            // u = up(lrelu(x))
            up.forward(leakyReLU: upsampleSlope, x, into: u, columns: upsampled, inputTotal: stage == 0 ? totalFrames : totalFrames * rate(afterStage: stage - 1),
                       workspace: workspace)
            if whole { observer?("dec_ups\(stage)", u.map) }

            // x = Σ_j block_j(u) / kernels, on `output`; the last block runs on u itself.
            x = window(scratch.x)
            let blocks = blocks(ofStage: stage)
            for (j, block) in blocks.enumerated() {
                let last = j == blocks.count - 1
                let target = j == 0 ? x : last ? u : t
                let input = block.inputColumns(for: output, total: total)
                if !last {
                    workspace.forEachRow(c, columns: input.count) { ch in
                        target.pointer(ch, input.lowerBound).update(from: u.pointer(ch, input.lowerBound), count: input.count)
                    }
                }
                block.forward(target, columns: output, total: total, a: a, b: b, workspace: workspace)
                // x += each middle block's output as it comes but the last one's (t), which the final pass adds
                if j > 0 && j < blocks.count - 2 {
                    workspace.forEachRow(c, columns: output.count) { ch in
                        VectorMath.add(target.pointer(ch, output.lowerBound), into: x.pointer(ch, output.lowerBound), count: output.count)
                    }
                }
            }
            // x = ((x + t) + u) / blocks, the same sums in the same order as adding each block's output in turn
            let scale = Float(blocks.count), middle = blocks.count >= 3
            workspace.forEachRow(c, columns: output.count) { ch in
                let at = output.lowerBound
                VectorMath.average(x.pointer(ch, at), middle ? t.pointer(ch, at) : nil, blocks.count > 1 ? u.pointer(ch, at) : nil,
                                   count: output.count, of: scale)
            }
        }

        // samples = tanh(post(lrelu(x)))
        let sampleColumns = frames.lowerBound * hopLength ..< frames.upperBound * hopLength
        let read = post.inputColumns(for: sampleColumns, total: totalFrames * hopLength)
        workspace.forEachRow(x.map.channels, columns: read.count) { ch in
            let row = x.pointer(ch, read.lowerBound)
            VectorMath.leakyReLU(row, into: row, count: read.count, slope: finalSlope)
        }
        let y = SignalWindow(FeatureMap(data: samples, channels: 1, length: sampleColumns.count), start: sampleColumns.lowerBound)
        post.forward(x, into: y, columns: sampleColumns, total: totalFrames * hopLength, workspace: workspace)
        pv_tanh(samples, samples, sampleColumns.count)
    }
}
