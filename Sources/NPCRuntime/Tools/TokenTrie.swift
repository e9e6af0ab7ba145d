/// Every token's output bytes (as `Tokenizer.piece` / `StreamingDecoder` produce
/// them) in one byte trie, so a grammar mask can test all tokens sharing a
/// prefix with one grammar step. Built once per tokenizer (and call suffix).
///
/// Nodes are stored in depth-first order: node n's subtree is n..<subtreeEnd[n]
/// and the tokens ending in it are tokenOrder[tokenStart[n]..<tokenEnd[n]], so a
/// whole subtree can be allowed without visiting it.
public final class TokenTrie: Sendable {
    public let vocabularySize: Int
    let nodeByte: [UInt8]
    let subtreeEnd: [Int32]
    let tokenStart: [Int32]
    /// Tokens whose bytes end exactly at the node: tokenStart..<ownEnd.
    let ownEnd: [Int32]
    let tokenEnd: [Int32]
    /// If every token below the node continues with plain string text (no `"`,
    /// `\`, control bytes; whole UTF-8 characters), the most characters any of
    /// them adds; else -1.
    let plainRun: [Int32]
    let tokenOrder: [Int32]
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

        var bytesOut: [UInt8] = [], subtree: [Int32] = [], start: [Int32] = [], own: [Int32] = [],
            end: [Int32] = [], plain: [Int32] = []
        func newNode(_ b: UInt8, token: Int) {
            bytesOut.append(b); subtree.append(0); start.append(Int32(token)); own.append(Int32(token))
            end.append(Int32(token)); plain.append(0)
        }
        newNode(0, token: 0)
        var path: [Int32] = [0]  // path[d] = node at depth d
        var previous: [UInt8] = []
        var okFrom: [Bool] = [], scalarsFrom: [Int32] = []
        for (k, (_, bytes)) in pieces.enumerated() {
            var common = 0
            while common < previous.count && common < bytes.count && previous[common] == bytes[common] { common += 1 }
            while path.count - 1 > common, let n = path.popLast() {
                subtree[Int(n)] = Int32(bytesOut.count)
                end[Int(n)] = Int32(k)
            }
            for d in common..<bytes.count {
                newNode(bytes[d], token: k)
                path.append(Int32(bytesOut.count - 1))
            }
            if let last = path.last { own[Int(last)] = Int32(k + 1) }
            Self.plainSuffixes(bytes, ok: &okFrom, scalars: &scalarsFrom)
            for d in 1..<path.count where d < okFrom.count {
                let n = Int(path[d])
                if !okFrom[d] { plain[n] = -1 } else if plain[n] >= 0 { plain[n] = max(plain[n], scalarsFrom[d]) }
            }
            previous = bytes
        }
        while let n = path.popLast() {
            subtree[Int(n)] = Int32(bytesOut.count)
            end[Int(n)] = Int32(pieces.count)
        }
        plain[0] = -1
        nodeByte = bytesOut
        subtreeEnd = subtree
        tokenStart = start
        ownEnd = own
        tokenEnd = end
        plainRun = plain
        tokenOrder = pieces.map(\.0)

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

    public var nodeCount: Int { nodeByte.count }

    /// The bytes a token adds, or nil if the trie leaves it out.
    public func piece(_ id: Int32) -> ArraySlice<UInt8>? {
        guard id >= 0, Int(id) < vocabularySize, included[Int(id)] else { return nil }
        return pieceBytes[Int(pieceStart[Int(id)])..<Int(pieceStart[Int(id) + 1])]
    }

    /// Marks (sets to 1) every token whose bytes `grammar` accepts from its
    /// current state; `mask` holds at least `vocabularySize` entries. Returns how many.
    func markAllowed(_ grammar: CallGrammar, mask: UnsafeMutableBufferPointer<UInt8>) -> Int {
        guard grammar.isAlive, mask.count >= vocabularySize else { return 0 }
        return tokenOrder.withUnsafeBufferPointer { order in
            walk(0, grammar, order: order, mask: mask)
        }
    }

    private func walk(_ node: Int, _ state: CallGrammar, order: UnsafeBufferPointer<Int32>,
                      mask: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var count = 0
        func mark(_ range: Range<Int>) {
            for i in range { mask[Int(order[i])] = 1 }
            count += range.count
        }
        var child = node + 1
        let end = Int(subtreeEnd[node])
        while child < end {
            var s = state
            if s.step(nodeByte[child]) {
                let room = s.plainTextRoom
                let run = plainRun[child]
                if run >= 0 && run <= room {
                    mark(Int(tokenStart[child])..<Int(tokenEnd[child]))
                } else {
                    mark(Int(tokenStart[child])..<Int(ownEnd[child]))
                    if Int(subtreeEnd[child]) > child + 1 { count += walk(child, s, order: order, mask: mask) }
                }
            }
            child = Int(subtreeEnd[child])
        }
        return count
    }

    /// For each start j of `bytes`: whether bytes[j...] is plain string text
    /// (whole, well-formed UTF-8 characters, no `"`, `\` or controls) and how many characters it holds.
    private static func plainSuffixes(_ bytes: [UInt8], ok: inout [Bool], scalars: inout [Int32]) {
        let n = bytes.count
        ok = [Bool](repeating: false, count: n + 1)
        scalars = [Int32](repeating: 0, count: n + 1)
        ok[n] = true
        var j = n - 1
        while j >= 0 {
            let length = plainCharacterLength(bytes, at: j)
            if length > 0 && j + length <= n && ok[j + length] {
                ok[j] = true
                scalars[j] = scalars[j + length] + 1
            }
            j -= 1
        }
    }

    /// Byte length of the plain character starting at `i`, or 0.
    private static func plainCharacterLength(_ b: [UInt8], at i: Int) -> Int {
        let c = b[i]
        if c < 0x80 { return c >= 0x20 && c != 0x22 && c != 0x5C ? 1 : 0 }
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF
        switch c {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xED: length = 3; high = 0x9F
        case 0xE1...0xEF: length = 3
        case 0xF0: length = 4; low = 0x90
        case 0xF4: length = 4; high = 0x8F
        case 0xF1...0xF3: length = 4
        default: return 0
        }
        guard i + length <= b.count else { return 0 }
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
