/// Scratch for one synthesis: buffers are taken at the start of each stage and
/// reused by all its layers, then freed together when the synthesis ends.
final class VoiceWorkspace {
    private var blocks: [UnsafeMutablePointer<Float>] = []
    /// Column buffer for im2col / col2im, shared by every convolution of the synthesis.
    private(set) var columns: UnsafeMutablePointer<Float>
    static let columnCapacity = 1 << 20

    init() {
        columns = UnsafeMutablePointer<Float>.allocate(capacity: Self.columnCapacity)
    }

    deinit {
        columns.deallocate()
        for b in blocks { b.deallocate() }
    }

    /// A zero-filled (channels, length) map.
    func map(_ channels: Int, _ length: Int) -> FeatureMap {
        let n = max(1, channels * length)
        let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
        p.initialize(repeating: 0, count: n)
        blocks.append(p)
        return FeatureMap(data: p, channels: channels, length: length)
    }

    /// A zero-filled buffer of `count` floats.
    func floats(_ count: Int) -> UnsafeMutablePointer<Float> { map(1, count).data }
}
