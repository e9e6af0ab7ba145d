/// An open-addressing hash table from byte strings to Int32 values, with the
/// strings packed in one arena. Keys compare byte for byte: Swift `String`
/// equality folds canonically equivalent text together, which a vocabulary
/// must not do ("é" and "e\u{301}" are different tokens).
struct ByteStringTable: Sendable {
    /// Entry `i` is `arena[starts[i]..<starts[i + 1]]`.
    private var arena: [UInt8] = []
    private var starts: [Int] = [0]
    private var values: [Int32] = []
    /// Entry index per slot, -1 when empty.
    private var slots: [Int32]
    private var mask: Int

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        arena.reserveCapacity(capacity * 8)
        starts.reserveCapacity(capacity + 1)
        values.reserveCapacity(capacity)
    }

    /// Adds `bytes` with `value` and returns the value the key had before, if any.
    /// On a repeated key, `replace` decides which value lookups find: the new one
    /// (the bytes are still stored as a new entry) or the first one (nothing is stored).
    @discardableResult
    mutating func insert<C: Collection<UInt8>>(_ bytes: C, value: Int32, replace: Bool) -> Int32? {
        if (values.count + 1) * 2 > slots.count { rehash(size: slots.count * 2) }
        let entry = values.count
        let start = arena.count
        arena.append(contentsOf: bytes)
        let end = arena.count
        var slot = slotIndex(start, end)
        var previous: Int32?
        while slots[slot] >= 0 {
            let other = Int(slots[slot])
            if equalEntries(other, start, end) {
                previous = values[other]
                break
            }
            slot = (slot + 1) & mask
        }
        if previous != nil && !replace {
            arena.removeSubrange(start..<end)
            return previous
        }
        starts.append(end)
        slots[slot] = Int32(entry)
        values.append(value)
        return previous
    }

    private func slotIndex(_ start: Int, _ end: Int) -> Int {
        let hash = arena.withUnsafeBufferPointer { a in
            Self.hash(UnsafeBufferPointer(rebasing: a[start..<end]), separator: nil, nil)
        }
        return Int(truncatingIfNeeded: hash) & mask
    }

    /// Rebuilds the slots at a larger size (only when more keys arrive than the capacity given).
    private mutating func rehash(size: Int) {
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        for entry in 0..<values.count {
            var slot = slotIndex(starts[entry], starts[entry + 1])
            while slots[slot] >= 0 && !equalEntries(Int(slots[slot]), starts[entry], starts[entry + 1]) {
                slot = (slot + 1) & mask
            }
            slots[slot] = Int32(entry)  // a later entry with the same key takes over the slot
        }
    }

    private func equalEntries(_ entry: Int, _ start: Int, _ end: Int) -> Bool {
        let s = starts[entry], e = starts[entry + 1]
        guard e - s == end - start else { return false }
        return arena.withUnsafeBufferPointer { a in
            (0..<(e - s)).allSatisfy { a[s + $0] == a[start + $0] }
        }
    }

    /// The value stored for `a` (followed by `separator` and `b` when given).
    func find(_ a: UnsafeBufferPointer<UInt8>, separator: UInt8? = nil, _ b: UnsafeBufferPointer<UInt8>? = nil) -> Int32? {
        let length = a.count + (separator == nil ? 0 : 1) + (b?.count ?? 0)
        var slot = Int(truncatingIfNeeded: Self.hash(a, separator: separator, b)) & mask
        return arena.withUnsafeBufferPointer { arena in
            starts.withUnsafeBufferPointer { starts in
                slots.withUnsafeBufferPointer { slots in
                    while true {
                        let entry = Int(slots[slot])
                        if entry < 0 { return nil }
                        let s = starts[entry]
                        if starts[entry + 1] - s == length && Self.matches(arena, s, a, separator, b) {
                            return values[entry]
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
        }
    }

    func find(_ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBufferPointer { find($0) }
    }

    /// The bytes of entry `i` (insertion order).
    func entryBytes(_ i: Int) -> ArraySlice<UInt8> { arena[starts[i]..<starts[i + 1]] }

    private static func matches(_ arena: UnsafeBufferPointer<UInt8>, _ start: Int, _ a: UnsafeBufferPointer<UInt8>,
                                _ separator: UInt8?, _ b: UnsafeBufferPointer<UInt8>?) -> Bool {
        var p = start
        for x in a { if arena[p] != x { return false }; p += 1 }
        if let separator { if arena[p] != separator { return false }; p += 1 }
        if let b { for x in b { if arena[p] != x { return false }; p += 1 } }
        return true
    }

    /// FNV-1a over the concatenation a + separator + b.
    private static func hash(_ a: UnsafeBufferPointer<UInt8>, separator: UInt8?, _ b: UnsafeBufferPointer<UInt8>?) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for x in a { h = (h ^ UInt64(x)) &* 0x100_0000_01b3 }
        if let separator { h = (h ^ UInt64(separator)) &* 0x100_0000_01b3 }
        if let b { for x in b { h = (h ^ UInt64(x)) &* 0x100_0000_01b3 } }
        return h ^ (h >> 29)
    }
}
