/// Read-only float weights: borrowed from the model's mapping when the bytes are
/// aligned (the usual case), otherwise an aligned heap copy this object owns.
final class WeightBuffer: @unchecked Sendable {
    let base: UnsafePointer<Float>
    let count: Int
    /// Keeps the mapping alive while the pointer is in use.
    private let owner: AnyObject?
    private let ownedCopy: UnsafeMutablePointer<Float>?

    init(borrowing base: UnsafePointer<Float>, count: Int, owner: AnyObject) {
        self.base = base
        self.count = count
        self.owner = owner
        ownedCopy = nil
    }

    init(copyingUnaligned source: UnsafeRawPointer, count: Int) {
        let copy = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
        UnsafeMutableRawPointer(copy).copyMemory(from: source, byteCount: count * MemoryLayout<Float>.size)
        base = UnsafePointer(copy)
        self.count = count
        owner = nil
        ownedCopy = copy
    }

    convenience init(copying values: [Float]) {
        self.init(count: values.count) { i in values[i] }
    }

    /// Weights computed at load time (for example a folded constant).
    init(count: Int, _ value: (Int) -> Float) {
        let copy = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
        for i in 0..<count { copy[i] = value(i) }
        base = UnsafePointer(copy)
        self.count = count
        owner = nil
        ownedCopy = copy
    }

    deinit { ownedCopy?.deallocate() }

    subscript(i: Int) -> Float { base[i] }
}
