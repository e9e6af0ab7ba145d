/// Every token's output bytes (as `Tokenizer.piece` / `StreamingDecoder` produce
/// them) in a byte trie, so a grammar mask can test all tokens sharing a prefix
/// with one grammar step. Built once per tokenizer (and call suffix).
///
/// Inside a string's text most tokens are plain text, and whether the grammar
/// takes one depends only on its length: those are kept apart, sorted by
/// length, and allowed as one range; only the other tokens (quotes, escapes,
/// controls, split UTF-8 characters) are walked there.
public final class TokenTrie: Sendable {
    public let vocabularySize: Int
    /// All included tokens.
    let all: ByteTrie
    /// Included tokens that are not plain string text.
    let special: ByteTrie
    /// Plain-text tokens (no `"`, `\`, control bytes; whole UTF-8 characters),
    /// shortest first; the first plainCountEnd[r] of them have at most r characters.
    let plainByLength: [Int32]
    let plainCountEnd: [Int32]
    /// Each token's bytes: pieceBytes[pieceStart[id]..<pieceStart[id + 1]];
    /// tokens left out of the trie have `included[id] == false`.
    private let pieceBytes: [UInt8]
    private let pieceStart: [Int32]
    private let included: [Bool]

    /// Normal, user-defined and byte tokens are included; control tokens only if
    /// their text occurs in `suffix` (a format whose closing tag is a control token).
    public convenience init(tokenizer: Tokenizer, suffix: String = "") {
        let suffixBytes = Array(suffix.utf8)
        var pieces: [(Int32, [UInt8])] = []
        pieces.reserveCapacity(tokenizer.vocabSize)
        for i in 0..<tokenizer.vocabSize {
            let id = Int32(i)
            let bytes: [UInt8]
            if tokenizer.isControl(id) {
                let text = tokenizer.piece(id, renderSpecial: true)
                guard !text.isEmpty, Self.contains(suffixBytes, text) else { continue }
                bytes = text
            } else {
                bytes = tokenizer.piece(id, renderSpecial: false)
            }
            if !bytes.isEmpty { pieces.append((id, bytes)) }
        }
        self.init(pieces: pieces, vocabularySize: tokenizer.vocabSize)
    }

    /// A trie over explicit (id, bytes) pairs; ids outside 0..<vocabularySize and empty pieces are skipped.
    public init(pieces input: [(Int32, [UInt8])], vocabularySize: Int) {
        self.vocabularySize = max(0, vocabularySize)
        var pieces = input.filter { $0.0 >= 0 && Int($0.0) < vocabularySize && !$0.1.isEmpty }
        pieces.sort { a, b in a.1.lexicographicallyPrecedes(b.1) || (a.1 == b.1 && a.0 < b.0) }
        all = ByteTrie(sorted: pieces)

        var plain: [(Int32, Int)] = []
        var others: [(Int32, [UInt8])] = []
        for (id, bytes) in pieces {
            if let n = Self.plainLength(bytes) { plain.append((id, n)) } else { others.append((id, bytes)) }
        }
        special = ByteTrie(sorted: others)
        plain.sort { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
        plainByLength = plain.map(\.0)
        let longest = plain.last?.1 ?? 0
        var ends = [Int32](repeating: 0, count: longest + 1)
        var k = 0
        for r in 0...longest {
            while k < plain.count && plain[k].1 <= r { k += 1 }
            ends[r] = Int32(k)
        }
        plainCountEnd = ends

        var flat: [UInt8] = [], offsets: [Int32] = [0], isIn = [Bool](repeating: false, count: self.vocabularySize)
        var byID = [[UInt8]](repeating: [], count: self.vocabularySize)
        for (id, bytes) in pieces { byID[Int(id)] = bytes; isIn[Int(id)] = true }
        for bytes in byID {
            flat.append(contentsOf: bytes)
            offsets.append(Int32(flat.count))
        }
        pieceBytes = flat
        pieceStart = offsets
        included = isIn
    }

    public var nodeCount: Int { all.nodeCount }

    /// The bytes a token adds, or nil if the trie leaves it out.
    public func piece(_ id: Int32) -> ArraySlice<UInt8>? {
        guard id >= 0, Int(id) < vocabularySize, included[Int(id)] else { return nil }
        return pieceBytes[Int(pieceStart[Int(id)])..<Int(pieceStart[Int(id) + 1])]
    }

    /// Marks (sets to 1) every token whose bytes `grammar` accepts from its
    /// current state; `mask` holds at least `vocabularySize` entries. Returns how many.
    func markAllowed(_ grammar: CallGrammar, mask: UnsafeMutableBufferPointer<UInt8>) -> Int {
        guard grammar.isAlive, mask.count >= vocabularySize else { return 0 }
        let room = Int(grammar.plainTextRoom)
        guard room >= 0, !plainCountEnd.isEmpty else { return all.markAllowed(grammar, mask: mask) }
        let n = Int(plainCountEnd[min(room, plainCountEnd.count - 1)])
        plainByLength.withUnsafeBufferPointer { ids in
            for i in 0..<n { mask[Int(ids[i])] = 1 }
        }
        return n + special.markAllowed(grammar, mask: mask)
    }

    /// Characters in `bytes` if all of it is plain string text, else nil.
    private static func plainLength(_ bytes: [UInt8]) -> Int? {
        var i = 0, count = 0
        while i < bytes.count {
            let length = plainCharacterLength(bytes, at: i)
            guard length > 0 else { return nil }
            i += length
            count += 1
        }
        return count
    }

    /// Byte length of the plain character starting at `i`, or 0.
    private static func plainCharacterLength(_ b: [UInt8], at i: Int) -> Int {
        let c = b[i]
        if c < 0x80 { return c >= 0x20 && c != 0x22 && c != 0x5C ? 1 : 0 }
        guard let (length, low, high) = UTF8Scalar.wellFormedLead(c), i + length <= b.count else { return 0 }
        for k in 1..<length {
            let x = b[i + k]
            guard x >= (k == 1 ? low : 0x80) && x <= (k == 1 ? high : 0xBF) else { return 0 }
        }
        return length
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= haystack.count else { return false }
        for i in 0...(haystack.count - needle.count) where haystack[i..<i + needle.count].elementsEqual(needle) { return true }
        return false
    }
}

/// A byte trie over sorted (id, bytes) pairs, nodes in depth-first order: node
/// n's subtree is n..<subtreeEnd[n]; the tokens ending at n are
/// tokenOrder[tokenStart[n]..<ownEnd[n]].
struct ByteTrie: Sendable {
    let nodeByte: [UInt8]
    let subtreeEnd: [Int32]
    let tokenStart: [Int32]
    let ownEnd: [Int32]
    let tokenOrder: [Int32]

    var nodeCount: Int { nodeByte.count }

    /// `pieces` sorted by bytes, none empty.
    init(sorted pieces: [(Int32, [UInt8])]) {
        var bytesOut: [UInt8] = [0], subtree: [Int32] = [0], start: [Int32] = [0], own: [Int32] = [0]
        var path: [Int32] = [0]  // path[d] = node at depth d
        var previous: [UInt8] = []
        for (k, (_, bytes)) in pieces.enumerated() {
            var common = 0
            while common < previous.count && common < bytes.count && previous[common] == bytes[common] { common += 1 }
            while path.count - 1 > common, let n = path.popLast() { subtree[Int(n)] = Int32(bytesOut.count) }
            for d in common..<bytes.count {
                bytesOut.append(bytes[d]); subtree.append(0); start.append(Int32(k)); own.append(Int32(k))
                path.append(Int32(bytesOut.count - 1))
            }
            // Equal texts are adjacent and sort before their extensions: a node's own tokens come first.
            if let last = path.last { own[Int(last)] = Int32(k + 1) }
            previous = bytes
        }
        while let n = path.popLast() { subtree[Int(n)] = Int32(bytesOut.count) }
        nodeByte = bytesOut
        subtreeEnd = subtree
        tokenStart = start
        ownEnd = own
        tokenOrder = pieces.map(\.0)
    }

    func markAllowed(_ grammar: CallGrammar, mask: UnsafeMutableBufferPointer<UInt8>) -> Int {
        tokenOrder.withUnsafeBufferPointer { order in walk(0, grammar, order: order, mask: mask) }
    }

    /// Visits the children of `node` the grammar (in `state`) can take, and their subtrees.
    private func walk(_ node: Int, _ state: CallGrammar, order: UnsafeBufferPointer<Int32>,
                      mask: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var count = 0
        var child = node + 1
        let end = Int(subtreeEnd[node])
        while child < end {
            var s = state
            if s.step(nodeByte[child]) {
                for i in Int(tokenStart[child])..<Int(ownEnd[child]) { mask[Int(order[i])] = 1 }
                count += Int(ownEnd[child] - tokenStart[child])
                if Int(subtreeEnd[child]) > child + 1 { count += walk(child, s, order: order, mask: mask) }
            }
            child = Int(subtreeEnd[child])
        }
        return count
    }
}
