/// SentencePiece-style BPE (`tokenizer.ggml.model = llama`, Llama 2, Gemma):
/// spaces become `▁`, the text is split into characters, and adjacent pairs
/// whose concatenation is a vocabulary entry are merged highest score first
/// (leftmost on ties). Characters left without a token fall back to their
/// bytes as `<0xNN>` tokens.
struct SentencePieceModel: Sendable {
    /// The token for each byte: `<0xNN>`, else the one-byte text, else unknown.
    private let byteTokens: [Int32?]

    init(vocabulary: Vocabulary, unknown: Int32?) {
        let hex = Array("0123456789ABCDEF".utf8)
        byteTokens = (0..<256).map { b in
            let name: [UInt8] = [0x3C, 0x30, 0x78, hex[b >> 4], hex[b & 15], 0x3E]  // <0xNN>
            return vocabulary.id(of: name) ?? vocabulary.id(of: [UInt8(b)]) ?? unknown
        }
    }

    struct Workspace {
        var escaped: [UInt8] = []
        var symbols = SymbolList()
        var queue = BinaryHeap<Bigram>()
    }

    struct Bigram: HeapOrdered {
        let left: Int32, right: Int32
        let score: Float
        let size: Int32

        static func comesFirst(_ a: Bigram, _ b: Bigram) -> Bool {
            a.score != b.score ? a.score > b.score : a.left < b.left
        }
    }

    /// Appends the ids of raw `text`, prefixed by a space when asked.
    func encode(_ text: UnsafeBufferPointer<UInt8>, spacePrefix: Bool, vocabulary: Vocabulary,
                workspace w: inout Workspace, into out: inout [Int32]) {
        w.escaped.removeAll(keepingCapacity: true)
        if spacePrefix { w.escaped.append(contentsOf: [0xE2, 0x96, 0x81]) }
        for b in text {
            if b == 0x20 { w.escaped.append(contentsOf: [0xE2, 0x96, 0x81]) } else { w.escaped.append(b) }
        }
        w.escaped.withUnsafeBufferPointer { escaped in
            encodeEscaped(escaped, vocabulary: vocabulary, symbols: &w.symbols, queue: &w.queue, into: &out)
        }
    }

    private func encodeEscaped(_ text: UnsafeBufferPointer<UInt8>, vocabulary: Vocabulary, symbols: inout SymbolList,
                               queue: inout BinaryHeap<Bigram>, into out: inout [Int32]) {
        guard !text.isEmpty else { return }
        symbols.reset(characters: text)
        queue.removeAll()
        func addBigram(_ left: Int32, _ right: Int32) {
            guard left >= 0, right >= 0 else { return }
            let start = Int(symbols.start[Int(left)])
            let size = Int(symbols.length[Int(left)] + symbols.length[Int(right)])
            guard let id = vocabulary.id(of: UnsafeBufferPointer(rebasing: text[start..<start + size])) else { return }
            queue.push(Bigram(left: left, right: right, score: vocabulary.scores[Int(id)], size: Int32(size)))
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
        // Every merged symbol is a vocabulary entry; single characters may not be.
        var i = 0
        while i >= 0 {
            let piece = symbols.bytes(i, in: text)
            if let id = vocabulary.id(of: piece) {
                out.append(id)
            } else {
                for b in piece {
                    if let id = byteTokens[Int(b)] { out.append(id) }
                }
            }
            i = Int(symbols.next[i])
        }
    }
}
