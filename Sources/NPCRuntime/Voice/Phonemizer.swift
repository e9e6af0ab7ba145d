/// The punctuation that ended a clause, as Piper keeps it in the phoneme
/// string. Only the six plain marks survive; everything else that ends a
/// clause (ellipsis, paragraph break, end of text, full-width marks) adds
/// nothing, exactly as in Piper.
public enum ClauseTerminator: Sendable, Equatable {
    case none
    case period
    case question
    case exclamation
    case comma
    case colon
    case semicolon

    /// What Piper appends to the clause's phonemes: the mark, and a space
    /// after the marks that do not end a sentence.
    public var appended: String {
        switch self {
        case .none: return ""
        case .period: return "."
        case .question: return "?"
        case .exclamation: return "!"
        case .comma: return ", "
        case .colon: return ": "
        case .semicolon: return "; "
        }
    }
}

/// One clause of phonemized text.
public struct PhonemeClause: Sendable, Equatable {
    /// IPA of the clause's words, separated by spaces, without the terminator.
    public var phonemes: String
    public var terminator: ClauseTerminator
    /// True when a new sentence (a new id sequence) starts after this clause.
    public var endsSentence: Bool
    /// The source text the clause came from (for captions and debugging).
    public var text: String

    public init(phonemes: String, terminator: ClauseTerminator, endsSentence: Bool, text: String = "") {
        self.phonemes = phonemes
        self.terminator = terminator
        self.endsSentence = endsSentence
        self.text = text
    }
}

/// Text → IPA, clause by clause. espeak-ng is the default implementation; a
/// studio that cannot ship GPL code supplies its own (a dictionary, a neural
/// G2P, a server) and the rest of the voice pipeline is unchanged.
/// Implementations must be safe to call from several threads.
public protocol Phonemizer: Sendable {
    func phonemize(_ text: String) throws -> [PhonemeClause]
}
