/// Keys and values of one sequence (one NPC's conversation), fp16 like llama.cpp's
/// default cache: half the memory, and the same rounding as the peer we agree with.
/// Layout: keys/values (layer, capacity, kvDim). `count` positions are valid.
public final class KVCache: @unchecked Sendable {
    public let layerCount: Int
    public let capacity: Int
    public let kvDim: Int
    let keys: UnsafeMutablePointer<UInt16>
    let values: UnsafeMutablePointer<UInt16>
    /// Positions filled so far; the next token goes at `count`.
    public internal(set) var count = 0
    /// The tokens at positions 0..<count, for prefix reuse.
    public internal(set) var tokens: [Int32] = []

    public init(config: ModelConfig, capacity: Int) {
        layerCount = config.layerCount
        self.capacity = max(1, capacity)
        kvDim = config.kvDim
        let n = layerCount * self.capacity * kvDim
        keys = .allocate(capacity: n)
        values = .allocate(capacity: n)
        keys.initialize(repeating: 0, count: n)
        values.initialize(repeating: 0, count: n)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    public var byteCount: Int { 2 * layerCount * capacity * kvDim * MemoryLayout<UInt16>.size }

    /// Bytes a cache of `capacity` positions takes for this model.
    public static func byteCount(config: ModelConfig, capacity: Int) -> Int {
        2 * config.layerCount * max(1, capacity) * config.kvDim * MemoryLayout<UInt16>.size
    }

    @inline(__always) func key(layer: Int, pos: Int) -> UnsafeMutablePointer<UInt16> {
        keys + (layer * capacity + pos) * kvDim
    }
    @inline(__always) func value(layer: Int, pos: Int) -> UnsafeMutablePointer<UInt16> {
        values + (layer * capacity + pos) * kvDim
    }

    /// Forgets positions from `position` on (a new turn after a shared prefix, or a reset).
    public func truncate(to position: Int) {
        let p = max(0, min(position, count))
        count = p
        tokens.removeSubrange(p...)
    }

    /// Length of the longest common prefix between the cache and `ids`.
    public func commonPrefix(with ids: [Int32]) -> Int {
        var n = 0
        while n < tokens.count && n < ids.count && tokens[n] == ids[n] { n += 1 }
        return n
    }
}
