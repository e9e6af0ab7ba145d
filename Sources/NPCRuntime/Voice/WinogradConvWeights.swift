import VoiceKernels

/// A dense convolution's weights for Winograd's F(4, 4) (`pv_winograd_*`): the 7 transformed planes,
/// each quantized to int16 pairs with its own scale per output channel, made at load.
final class WinogradConvWeights: @unchecked Sendable {
    static let planes = Int(PV_WINOGRAD_PLANES)
    /// 4-tap chunks of the kernel.
    let chunks: Int
    /// Plane j at pairs + j · planeWords: (outChannels, (inChannels + 1) / 2, chunks) int16 pairs
    let pairs: UnsafeMutablePointer<Int32>
    let planeWords: Int
    /// (planes, outChannels): plane j's weights ≈ scale · q
    let scales: UnsafeMutablePointer<Float>
    /// Per plane, the largest input quantum that keeps every sum within int32.
    let inputLimits: [Int32]

    /// nil when a plane cannot be quantized (a weight not finite).
    init?(_ weight: WeightBuffer, outChannels: Int, inChannels: Int, kernel: Int) {
        chunks = Int(pv_winograd_chunks(Int32(kernel)))
        let pairRows = (inChannels + 1) / 2, planes = Self.planes
        let chunks = self.chunks, planeWords = outChannels * pairRows * chunks
        let pairs = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, planes * planeWords))
        let scales = UnsafeMutablePointer<Float>.allocate(capacity: max(1, planes * outChannels))
        self.planeWords = planeWords
        self.pairs = pairs
        self.scales = scales
        let transformed = UnsafeMutablePointer<Float>.allocate(capacity: max(1, planes * outChannels * inChannels * chunks))
        defer { transformed.deallocate() }
        pv_winograd_weights(weight.base, Int32(outChannels), Int32(inChannels), Int32(kernel), transformed)
        inputLimits = (0..<planes).map { j in
            pv_quantize_weights_i16(transformed + j * outChannels * inChannels * chunks, Int32(outChannels), Int32(inChannels),
                                    Int32(chunks), pairs + j * planeWords, scales + j * outChannels)
        }
        // every property is set, so a failed init still runs deinit, which frees the buffers
        guard inputLimits.allSatisfy({ $0 > 0 }) else { return nil }
    }

    deinit {
        pairs.deallocate()
        scales.deallocate()
    }
}
