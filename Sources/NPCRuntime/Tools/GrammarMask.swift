/// Constrains decoding to one tool call: tokens whose bytes cannot continue the
/// `CallGrammar` get −∞. Created when the call starts, with the context length
/// at that moment; on each step it folds the tokens added since into its
/// grammar state, then walks the token trie with copies of that state, visiting
/// only branches the grammar still allows. Once the call is complete only the
/// end tokens remain (they are also the fallback if nothing else is allowed,
/// so the stream always ends).
public final class GrammarMask: LogitsProcessor, @unchecked Sendable {
    public let trie: TokenTrie
    public let endTokens: [Int32]
    // Guarded by `lock`: `process` is non-mutating but the call advances.
    private let lock = Lock()
    private var grammar: CallGrammar
    private var consumed: Int
    private var failed = false
    private var mask: [UInt8]
    /// The call's bytes so far (what the grammar consumed).
    private var bytes: [UInt8] = []

    /// `startIndex`: how many tokens the context holds before the call's first token.
    public init(trie: TokenTrie, grammar: CallGrammar, endTokens: some Sequence<Int32>, startIndex: Int) {
        self.trie = trie
        self.grammar = grammar
        self.endTokens = Array(Set(endTokens)).sorted()
        consumed = max(0, startIndex)
        mask = [UInt8](repeating: 0, count: trie.vocabularySize)
    }

    public var isComplete: Bool { lock.withLock { !failed && grammar.isComplete } }
    /// True if a token the grammar refused got into the context (the call is then void).
    public var hasFailed: Bool { lock.withLock { failed } }
    /// The grammar state after the tokens folded in so far.
    public var currentGrammar: CallGrammar { lock.withLock { grammar } }
    public var text: String { lock.withLock { String(decoding: bytes, as: UTF8.self) } }

    public func process(_ logits: UnsafeMutableBufferPointer<Float>, history: ArraySlice<Int32>) {
        lock.withLock {
            catchUp(history)
            let allowed: Int
            if failed || grammar.isComplete {
                allowed = 0
            } else {
                allowed = mask.withUnsafeMutableBufferPointer { trie.markAllowed(grammar, mask: $0) }
            }
            if allowed == 0 || grammar.isComplete {
                for id in endTokens where id >= 0 && Int(id) < mask.count { mask[Int(id)] = 1 }
            }
            // One pass: forbid what is unmarked and clear the marks for next time.
            mask.withUnsafeMutableBufferPointer { m in
                let n = min(m.count, logits.count)
                for i in 0..<n {
                    if m[i] == 0 { logits[i] = -.infinity } else { m[i] = 0 }
                }
                for i in n..<logits.count { logits[i] = -.infinity }  // ids past the vocabulary
            }
        }
    }

    /// Ids the grammar allows next, ascending (for tests and diagnostics).
    public func allowedTokens() -> [Int32] {
        lock.withLock {
            guard !failed, !grammar.isComplete else { return endTokens }
            var out: [Int32] = []
            mask.withUnsafeMutableBufferPointer { m in
                _ = trie.markAllowed(grammar, mask: m)
                for i in 0..<m.count where m[i] != 0 {
                    out.append(Int32(i))
                    m[i] = 0
                }
            }
            return out.isEmpty ? endTokens : out
        }
    }

    /// Folds the tokens added to the context since the last call into the grammar.
    private func catchUp(_ history: ArraySlice<Int32>) {
        guard history.count >= consumed else {
            failed = true  // the context was rewound past the call's start
            consumed = history.count
            return
        }
        var i = history.startIndex + consumed
        while i < history.endIndex {
            let id = history[i]
            i += 1
            consumed += 1
            guard !failed, !grammar.isComplete else { continue }
            guard let piece = trie.piece(id), grammar.advance(piece) else { failed = true; continue }
            bytes.append(contentsOf: piece)
        }
    }
}
