/// A (channels, length) activation, row-major (one contiguous row per channel,
/// PyTorch's batch-1 Conv1d layout). Memory belongs to a `VoiceWorkspace` or a decoder scratch.
struct FeatureMap {
    let data: UnsafeMutablePointer<Float>
    let channels: Int
    let length: Int

    var count: Int { channels * length }

    /// Row `c` (channel c over time).
    func row(_ c: Int) -> UnsafeMutablePointer<Float> { data + c * length }

    /// Channels `start ..< start + n` as a map of their own (rows are contiguous).
    func rows(_ start: Int, _ n: Int) -> FeatureMap {
        FeatureMap(data: data + start * length, channels: n, length: length)
    }

    /// self += other (same shape).
    func add(_ other: FeatureMap) {
        VectorMath.add(other.data, into: data, count: count)
    }

    /// Reverses the channel order in place (VITS's `Flip` flow).
    func flipChannels() {
        var lo = 0, hi = channels - 1
        while lo < hi {
            swapRows(lo, hi)
            lo += 1
            hi -= 1
        }
    }

    private func swapRows(_ a: Int, _ b: Int) {
        let p = row(a), q = row(b)
        for t in 0..<length {
            let v = p[t]
            p[t] = q[t]
            q[t] = v
        }
    }
}
