/// Turns generated ids into text as they arrive, emitting only whole UTF-8
/// characters: a character whose bytes are split across tokens (emoji, CJK in
/// byte-level vocabularies, SentencePiece byte fallback) comes out once its
/// last byte has arrived. Pieces are as in `Tokenizer.piece`, so the text equals
/// `decode` for tokenizers without clean-up of spaces (llama.cpp streams the same way).
public struct StreamingDecoder: Sendable {
    private let tokenizer: Tokenizer
    private let renderSpecial: Bool
    private var pending: [UInt8] = []
    private var isFirst = true

    public init(tokenizer: Tokenizer, renderSpecial: Bool = true) {
        self.tokenizer = tokenizer
        self.renderSpecial = renderSpecial
    }

    /// Adds one token; returns the text that is now complete (possibly empty).
    public mutating func feed(_ id: Int32) -> String {
        tokenizer.pieces.appendPiece(id, vocabulary: tokenizer.vocabulary, renderSpecial: renderSpecial,
                                     stripLeadingSpace: isFirst && tokenizer.addSpacePrefix, into: &pending)
        isFirst = false
        let complete = UTF8Scalar.completePrefixLength(pending)
        guard complete > 0 else { return "" }
        let text = String(decoding: pending[0..<complete], as: UTF8.self)
        pending.removeSubrange(0..<complete)
        return text
    }

    /// Ends the stream: bytes of a character that never completed come out as U+FFFD.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return pending.isEmpty ? "" : String(decoding: pending, as: UTF8.self)
    }
}
