/// The symbols of one word during merging: a doubly linked list over byte
/// ranges of the text; a merged-away symbol has length 0.
struct SymbolList {
    var start: [Int32] = []
    var length: [Int32] = []
    var prev: [Int32] = []
    var next: [Int32] = []

    /// One symbol per UTF-8 character of `text`.
    mutating func reset(characters text: UnsafeBufferPointer<UInt8>) {
        start.removeAll(keepingCapacity: true)
        length.removeAll(keepingCapacity: true)
        prev.removeAll(keepingCapacity: true)
        next.removeAll(keepingCapacity: true)
        var offset = 0
        while offset < text.count {
            let n = min(UTF8Scalar.sequenceLength(lead: text[offset]), text.count - offset)
            let index = Int32(start.count)
            start.append(Int32(offset))
            length.append(Int32(n))
            prev.append(index - 1)
            offset += n
            next.append(offset == text.count ? -1 : index + 1)
        }
    }

    /// Merges symbol `right` into `left` (its successor).
    mutating func merge(_ left: Int, _ right: Int) {
        length[left] += length[right]
        length[right] = 0
        next[left] = next[right]
        if next[right] >= 0 { prev[Int(next[right])] = Int32(left) }
    }

    func bytes(_ i: Int, in text: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        let s = Int(start[i])
        return UnsafeBufferPointer(rebasing: text[s..<s + Int(length[i])])
    }
}
