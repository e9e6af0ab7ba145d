/// Byte-level BPE (`tokenizer.ggml.model = gpt2`): each pre-tokenized word is
/// mapped to GPT-2's byte alphabet, split into characters, and adjacent pairs
/// are merged lowest merge rank first (leftmost on ties) until no pair of
/// `tokenizer.ggml.merges` applies.
struct BytePairModel: Sendable {
    /// "first second" → rank (the first occurrence of a pair wins).
    private let ranks: ByteStringTable
    let alphabet = ByteLevelAlphabet()
    let preTokenizer: PreTokenizer
    let ignoreMerges: Bool

    init(gguf: GGUFFile, preTokenizer: PreTokenizer, ignoreMerges: Bool) throws(TokenizerError) {
        guard let value = gguf["tokenizer.ggml.merges"] else { throw .missing("tokenizer.ggml.merges") }
        guard case let .strings(merges) = value else {
            throw .wrongType("tokenizer.ggml.merges", expected: "an array of strings")
        }
        var ranks = ByteStringTable(capacity: merges.count)
        for (rank, merge) in merges.enumerated() {
            // llama.cpp splits at the first space after the first byte; a line
            // without one names no pair that a lookup could ever produce.
            let bytes = Array(merge.utf8)
            guard bytes.count > 1, bytes[1...].contains(0x20) else { continue }
            ranks.insert(bytes, value: Int32(clamping: rank), replace: false)
        }
        self.ranks = ranks
        self.preTokenizer = preTokenizer
        self.ignoreMerges = ignoreMerges
    }

    /// Scratch buffers reused across the words of one call.
    struct Workspace {
        var words: [Range<Int>] = []
        var encoded: [UInt8] = []
        var symbols = SymbolList()
        var queue = BinaryHeap<Bigram>()
    }

    struct Bigram: HeapOrdered {
        let left: Int32, right: Int32
        let rank: Int32
        /// Byte length of the pair when it was queued; a different length now means it is stale.
        let size: Int32

        static func comesFirst(_ a: Bigram, _ b: Bigram) -> Bool {
            a.rank != b.rank ? a.rank < b.rank : a.left < b.left
        }
    }

    /// Appends the ids of raw `text` (no special tokens in it).
    func encode(_ text: UnsafeBufferPointer<UInt8>, vocabulary: Vocabulary, workspace w: inout Workspace, into out: inout [Int32]) {
        w.words.removeAll(keepingCapacity: true)
        preTokenizer.split(text, into: &w.words)
        for word in w.words {
            w.encoded.removeAll(keepingCapacity: true)
            alphabet.encode(UnsafeBufferPointer(rebasing: text[word]), into: &w.encoded)
            w.encoded.withUnsafeBufferPointer { encoded in
                encodeWord(encoded, vocabulary: vocabulary, symbols: &w.symbols, queue: &w.queue, into: &out)
            }
        }
    }

    private func encodeWord(_ word: UnsafeBufferPointer<UInt8>, vocabulary: Vocabulary, symbols: inout SymbolList,
                            queue: inout BinaryHeap<Bigram>, into out: inout [Int32]) {
        if ignoreMerges, let id = vocabulary.id(of: word) {
            out.append(id)
            return
        }
        symbols.reset(characters: word)
        queue.removeAll()
        func addBigram(_ left: Int32, _ right: Int32) {
            guard left >= 0, right >= 0 else { return }
            let l = symbols.bytes(Int(left), in: word), r = symbols.bytes(Int(right), in: word)
            guard let rank = ranks.find(l, separator: 0x20, r) else { return }
            queue.push(Bigram(left: left, right: right, rank: rank, size: Int32(l.count + r.count)))
        }
        for i in 1..<max(1, symbols.start.count) { addBigram(Int32(i - 1), Int32(i)) }
        while let bigram = queue.pop() {
            let left = Int(bigram.left), right = Int(bigram.right)
            let ln = symbols.length[left], rn = symbols.length[right]
            guard ln > 0, rn > 0, ln + rn == bigram.size else { continue }
            symbols.merge(left, right)
            addBigram(symbols.prev[left], bigram.left)
            addBigram(bigram.left, symbols.next[left])
        }
        var i = symbols.start.isEmpty ? -1 : 0
        while i >= 0 {
            let piece = symbols.bytes(i, in: word)
            if let id = vocabulary.id(of: piece) {
                out.append(id)
            } else {
                // A merge produced a string the vocabulary lacks: fall back to single bytes that are tokens.
                for b in piece {
                    if let id = vocabulary.id(of: [b]) { out.append(id) }
                }
            }
            i = Int(symbols.next[i])
        }
    }
}
