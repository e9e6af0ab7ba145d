/// A token's type as stored in `tokenizer.ggml.token_type` (SentencePiece's numbering).
public enum TokenType: Int32, Sendable {
    case undefined = 0
    case normal = 1
    case unknown = 2
    case control = 3
    case userDefined = 4
    case unused = 5
    case byte = 6
}

/// How the tokenizer treats a token (llama.cpp's token attributes): derived
/// from the stored type, then adjusted (end-of-turn tokens stored as normal
/// text are promoted to control).
struct TokenAttributes: OptionSet, Sendable {
    let rawValue: UInt8

    static let unknown = TokenAttributes(rawValue: 1 << 0)
    static let unused = TokenAttributes(rawValue: 1 << 1)
    static let normal = TokenAttributes(rawValue: 1 << 2)
    static let control = TokenAttributes(rawValue: 1 << 3)
    static let userDefined = TokenAttributes(rawValue: 1 << 4)
    static let byte = TokenAttributes(rawValue: 1 << 5)

    /// Tokens that render only when asked to (and match in text only when parsing specials).
    static let special: TokenAttributes = [.unknown, .control]

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init(_ type: TokenType) {
        switch type {
        case .undefined: self = []
        case .normal: self = .normal
        case .unknown: self = .unknown
        case .control: self = .control
        case .userDefined: self = .userDefined
        case .unused: self = .unused
        case .byte: self = .byte
        }
    }
}
