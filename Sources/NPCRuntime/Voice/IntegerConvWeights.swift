import VoiceKernels

/// How a voice computes its dense convolutions (the text encoder's projections and feed-forward
/// layers, the duration predictor's 1×1 layers, the flow's WaveNets, the decoder's conv_pre,
/// upsamplers and residual blocks).
public enum VoicePrecision: String, Sendable, CaseIterable {
    /// Float, as Piper: the reference tests hold the audio to Piper's.
    case exact
    /// 16-bit integer products with exact sums (`pv_conv1d_i16`): weights to 12 bits per
    /// output channel, each window of the input to 12–15 bits. About 1.7× the float
    /// convolution's speed at the 256-bit levels; the audio is not Piper's bit for bit but
    /// is held within a signal-to-noise floor and a word error rate (bench/voice-precision.py).
    /// The text encoder's output moves the duration predictor's a little, so a phoneme here and
    /// there lasts a frame (11.6 ms at 22.05 kHz) more or less than in the exact voice.
    case int16
}

/// A dense convolution's weights as int16 pairs (`pv_quantize_weights_i16`), made at load.
final class IntegerConvWeights: @unchecked Sendable {
    /// (outChannels, (inChannels + 1) / 2, kernel) int16 pairs
    let pairs: UnsafeMutablePointer<Int32>
    /// (outChannels): w ≈ scale · q
    let scales: UnsafeMutablePointer<Float>
    /// The largest input quantum that keeps every sum within int32 (and, with `paired`, two
    /// inputs' sum within int16).
    let inputLimit: Int32
    /// The even taps, the odd taps and their sums (`pv_pair_weights_i16`), for kernels of 2 or more
    /// taps when made with `paired`.
    let paired: PairedTaps?

    struct PairedTaps {
        let even, odd, sum: UnsafeMutablePointer<Int32>
        /// Words per output row: even and sum, odd.
        let evenWords, oddWords: Int

        /// The three from output row `row` on.
        func from(row: Int) -> (even: UnsafeMutablePointer<Int32>, odd: UnsafeMutablePointer<Int32>, sum: UnsafeMutablePointer<Int32>) {
            (even + row * evenWords, odd + row * oddWords, sum + row * evenWords)
        }
    }

    /// nil when the weights cannot be quantized (a weight not finite).
    init?(_ weight: WeightBuffer, outChannels: Int, inChannels: Int, kernel: Int, paired: Bool = false) {
        let pairRows = (inChannels + 1) / 2
        pairs = .allocate(capacity: max(1, outChannels * pairRows * kernel))
        scales = .allocate(capacity: max(1, outChannels))
        let limit = pv_quantize_weights_i16(weight.base, Int32(outChannels), Int32(inChannels), Int32(kernel), pairs, scales)
        if paired && kernel >= 2 {
            let evenWords = pairRows * ((kernel + 1) / 2), oddWords = pairRows * (kernel / 2)
            let p = PairedTaps(even: .allocate(capacity: max(1, outChannels * evenWords)), odd: .allocate(capacity: max(1, outChannels * oddWords)),
                               sum: .allocate(capacity: max(1, outChannels * evenWords)), evenWords: evenWords, oddWords: oddWords)
            if limit > 0 {
                pv_pair_weights_i16(pairs, Int32(outChannels), Int32(inChannels), Int32(kernel), p.even, p.odd, p.sum)
            }
            self.paired = p
            inputLimit = min(limit, PV_I16_PAIRED_XMAX)
        } else {
            self.paired = nil
            inputLimit = limit
        }
        // every property is set, so a failed init still runs deinit, which frees the buffers
        guard inputLimit > 0 else { return nil }
    }

    deinit {
        pairs.deallocate()
        scales.deallocate()
        if let paired {
            paired.even.deallocate()
            paired.odd.deallocate()
            paired.sum.deallocate()
        }
    }
}

/// A layer's input window quantized for the int16 products (VoiceWorkspace.quantizedWindow).
struct QuantizedWindow {
    /// (channels + 1) / 2 pair rows of `rowColumns` columns, int16 pairs
    let data: UnsafeMutablePointer<Int16>
    let rowColumns: Int
    /// Window-local input column of the window's first column.
    let first: Int
    /// x ≈ scale · q
    let scale: Float
}
