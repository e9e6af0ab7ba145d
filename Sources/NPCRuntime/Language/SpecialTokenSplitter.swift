/// One piece of text after special tokens are cut out of it.
enum TextFragment: Equatable {
    /// Bytes of the input still to be tokenized by the model.
    case text(Range<Int>)
    case token(Int32)
}

/// Cuts special tokens (control, user-defined, unknown) out of the input before
/// the model sees it, exactly as llama.cpp's partitioning does: tokens are tried
/// longest text first, and each one splits every remaining text fragment at
/// all of its non-overlapping occurrences, leftmost first. User-defined tokens
/// are cut even when special parsing is off (as Hugging Face does for added
/// tokens); control and unknown tokens only when it is on.
struct SpecialTokenSplitter: Sendable {
    /// Special ids in matching order: longest text first, then lowest id.
    private let ordered: [Int32]
    private let lengths: [Int]
    /// Whether `ordered[i]` is cut only when special parsing is on.
    private let needsParseSpecial: [Bool]
    /// Byte trie of the special texts: edges keyed by `node << 8 | byte`.
    private let edges: [Int: Int32]
    /// Index into `ordered` of the special ending at each node, or -1.
    private let terminal: [Int32]

    init(vocabulary: Vocabulary) {
        var ids: [Int32] = []
        for i in 0..<vocabulary.count where !vocabulary.attributes[i].isDisjoint(with: [.control, .userDefined, .unknown]) {
            ids.append(Int32(i))
        }
        let lengthOf = ids.reduce(into: [Int32: Int]()) { $0[$1] = vocabulary.text($1).count }
        ids.sort { a, b in
            let la = lengthOf[a] ?? 0, lb = lengthOf[b] ?? 0
            return la != lb ? la > lb : a < b
        }
        var edges: [Int: Int32] = [:]
        var terminal: [Int32] = [-1]
        for (index, id) in ids.enumerated() {
            var node = 0
            for byte in vocabulary.text(id) {
                let key = node << 8 | Int(byte)
                if let child = edges[key] {
                    node = Int(child)
                } else {
                    terminal.append(-1)
                    edges[key] = Int32(terminal.count - 1)
                    node = terminal.count - 1
                }
            }
            terminal[node] = Int32(index)
        }
        ordered = ids
        lengths = ids.map { lengthOf[$0] ?? 0 }
        needsParseSpecial = ids.map { !vocabulary.attributes[Int($0)].isDisjoint(with: TokenAttributes.special) }
        self.edges = edges
        self.terminal = terminal
    }

    /// `plainText[i]` true: byte i is untrusted text, split as if `parseSpecial`
    /// were off for any special token that covers it (control and unknown tokens
    /// are not cut; user-defined ones, ordinary text pieces, still are).
    func split(_ text: UnsafeBufferPointer<UInt8>, parseSpecial: Bool, plainText: [Bool] = []) -> [TextFragment] {
        guard !text.isEmpty else { return [] }
        // plainPrefix[i] = plain bytes before i, so a span's plain count is one subtraction
        var plainPrefix: [Int] = []
        if !plainText.isEmpty {
            plainPrefix.reserveCapacity(text.count + 1)
            plainPrefix.append(0)
            for i in 0..<text.count { plainPrefix.append(plainPrefix[i] + (i < plainText.count && plainText[i] ? 1 : 0)) }
        }
        // Every occurrence of every special text, as (order index, start).
        var occurrences: [(index: Int, start: Int)] = []
        for start in 0..<text.count {
            var node = 0
            var p = start
            while p < text.count, let child = edges[node << 8 | Int(text[p])] {
                node = Int(child)
                p += 1
                let index = Int(terminal[node])
                let parsed = parseSpecial && (plainPrefix.isEmpty || plainPrefix[p] == plainPrefix[start])
                if index >= 0 && (parsed || !needsParseSpecial[index]) {
                    occurrences.append((index, start))
                }
            }
        }
        var fragments: [TextFragment] = [.text(0..<text.count)]
        guard !occurrences.isEmpty else { return fragments }
        occurrences.sort { $0.index != $1.index ? $0.index < $1.index : $0.start < $1.start }

        var next: [TextFragment] = []
        var k = 0
        while k < occurrences.count {
            let index = occurrences[k].index
            var groupEnd = k
            while groupEnd < occurrences.count && occurrences[groupEnd].index == index { groupEnd += 1 }
            let length = lengths[index]
            let id = ordered[index]
            var o = k
            next.removeAll(keepingCapacity: true)
            for fragment in fragments {
                guard case let .text(range) = fragment else { next.append(fragment); continue }
                var cursor = range.lowerBound
                while o < groupEnd && occurrences[o].start < cursor { o += 1 }
                var scan = o
                while scan < groupEnd && occurrences[scan].start + length <= range.upperBound {
                    let start = occurrences[scan].start
                    if start >= cursor {
                        if start > cursor { next.append(.text(cursor..<start)) }
                        next.append(.token(id))
                        cursor = start + length
                    }
                    scan += 1
                }
                if cursor < range.upperBound { next.append(.text(cursor..<range.upperBound)) }
            }
            swap(&fragments, &next)
            k = groupEnd
        }
        return fragments
    }
}
