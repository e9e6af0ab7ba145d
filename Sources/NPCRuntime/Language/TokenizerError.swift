/// Why a GGUF's tokenizer metadata could not be used.
public enum TokenizerError: ParleyErrorConvertible, Equatable, CustomStringConvertible {
    case missing(String)
    case wrongType(String, expected: String)
    case unsupported(String)
    case invalid(String)

    public var kind: ErrorKind {
        switch self {
        case .unsupported: return .unsupportedModel
        default: return .badModel
        }
    }

    public var message: String {
        switch self {
        case let .missing(key): return "tokenizer: GGUF has no \(key)"
        case let .wrongType(key, expected): return "tokenizer: \(key) must be \(expected)"
        case let .unsupported(what): return "tokenizer: unsupported \(what)"
        case let .invalid(what): return "tokenizer: \(what)"
        }
    }

    public var description: String { message }
}
