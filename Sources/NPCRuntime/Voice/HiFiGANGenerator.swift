#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// HiFi-GAN decoder: conv_pre, then per stage leaky ReLU → transposed-conv
/// upsampling → mean of the multi-receptive-field residual blocks; finally
/// leaky ReLU → conv_post → tanh.
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

    /// Floats of scratch `forward` takes for `frames` latent frames (the stages' maps).
    func scratchFloats(frames: Int) -> Int {
        var total = pre.outChannels * frames, t = frames
        let maps = needsPairScratch ? 5 : 4
        for up in upsamplers {
            t *= up.stride
            total += maps * up.outChannels * t
        }
        return total
    }

    /// z (latent, frames) → waveform samples.
    func forward(_ z: FeatureMap, speaker: FeatureMap?, workspace: VoiceWorkspace,
                 observer: VITSModel.Observer? = nil) -> [Float] {
        var x = workspace.map(pre.outChannels, z.length)
        pre.forward(z, into: x, workspace: workspace)
        if let speakerCondition, let speaker {
            let g = workspace.map(pre.outChannels, 1)
            speakerCondition.forward(speaker, into: g, workspace: workspace)
            for c in 0..<x.channels { let row = x.row(c); for j in 0..<x.length { row[j] += g.data[c] } }
        }
        observer?("dec_conv_pre", x)
        for (stage, up) in upsamplers.enumerated() {
            VectorMath.leakyReLU(x.data, into: x.data, count: x.count, slope: upsampleSlope)
            let t = up.outputLength(x.length), c = up.outChannels
            let u = workspace.map(c, t), sum = workspace.map(c, t), r = workspace.map(c, t), a = workspace.map(c, t)
            // Only ResBlock1's two-conv units need a second scratch map.
            let b = needsPairScratch ? workspace.map(c, t) : a
            up.forward(x, into: u, workspace: workspace)
            observer?("dec_ups\(stage)", u)
            // sum = Σ_j resblock_j(u), then / kernels
            for j in 0..<kernelsPerStage {
                let target = j == 0 ? sum : r
                target.copy(from: u)
                resBlocks[stage * kernelsPerStage + j].forward(target, a: a, b: b, workspace: workspace)
                if j > 0 { sum.add(r) }
            }
            VectorMath.divide(sum.data, count: sum.count, by: Float(kernelsPerStage))
            x = sum
        }
        VectorMath.leakyReLU(x.data, into: x.data, count: x.count, slope: finalSlope)
        var samples = [Float](repeating: 0, count: x.length)
        samples.withUnsafeMutableBufferPointer { out in
            // Safe: the array has x.length > 0 elements (frames ≥ 1).
            let y = FeatureMap(data: out.baseAddress!, channels: 1, length: x.length)
            post.forward(x, into: y, workspace: workspace)
            for i in 0..<y.length { y.data[i] = tanhf(y.data[i]) }
        }
        return samples
    }
}
