/// The token list of a GGUF: texts (as bytes), types, attributes and scores,
/// with a byte-exact text → id index.
struct Vocabulary: Sendable {
    /// Entry `i` of the table is token `i`.
    private let table: ByteStringTable
    let types: [TokenType]
    var attributes: [TokenAttributes]
    /// SentencePiece log-probabilities (0 when the file has none).
    let scores: [Float]

    var count: Int { types.count }

    init(gguf: GGUFFile) throws(TokenizerError) {
        guard let tokensValue = gguf["tokenizer.ggml.tokens"] else { throw .missing("tokenizer.ggml.tokens") }
        guard case let .strings(tokens) = tokensValue else {
            throw .wrongType("tokenizer.ggml.tokens", expected: "an array of strings")
        }
        let n = tokens.count
        guard n > 0, n <= Int(Int32.max) else { throw .invalid("vocabulary has \(n) tokens") }

        var scores = [Float](repeating: 0, count: n)
        if let value = gguf["tokenizer.ggml.scores"] {
            switch value {
            case let .floats(f) where f.count >= n: scores = Array(f[0..<n])
            case let .ints(v) where v.count >= n: scores = v[0..<n].map { Float($0) }
            default: throw .wrongType("tokenizer.ggml.scores", expected: "\(n) float32 or int32 values")
            }
        }
        var types = [TokenType](repeating: .normal, count: n)
        if let value = gguf["tokenizer.ggml.token_type"] {
            guard case let .ints(v) = value, v.count >= n else {
                throw .wrongType("tokenizer.ggml.token_type", expected: "\(n) int32 values")
            }
            for i in 0..<n { types[i] = TokenType(rawValue: v[i]) ?? .undefined }
        }

        var table = ByteStringTable(capacity: n)
        for (i, token) in tokens.enumerated() {
            // As llama.cpp: an empty token would be unreachable and unprintable.
            let text = token.isEmpty ? "[EMPTY_\(i)]" : token
            // A repeated text maps to its last id, as in llama.cpp; every id keeps its own text.
            table.insert(text.utf8, value: Int32(i), replace: true)
        }
        self.table = table
        self.types = types
        self.attributes = types.map(TokenAttributes.init)
        self.scores = scores
    }

    func contains(_ id: Int32) -> Bool { id >= 0 && Int(id) < count }

    /// The stored text of a token.
    func text(_ id: Int32) -> ArraySlice<UInt8> { table.entryBytes(Int(id)) }

    func id(of bytes: UnsafeBufferPointer<UInt8>) -> Int32? { table.find(bytes) }

    func id(of bytes: [UInt8]) -> Int32? { table.find(bytes) }

    func id(of text: String) -> Int32? { id(of: Array(text.utf8)) }
}
