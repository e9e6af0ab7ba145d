/// How a clause that espeak-ng cut off ended, in Piper's terms.
///
/// Piper reads the clause type from `espeak_TextToPhonemesWithTerminator`
/// (espeak-ng 1.52+). Older libraries (Debian 12 ships 1.51) only have
/// `espeak_TextToPhonemes`, so the type is recovered from the text the call
/// consumed, following espeak's own clause reader (readclause.c): a run of
/// clause punctuation ends a clause when whitespace, a bracket or quote, a
/// '?', or the end of text follows; the first mark of the run decides its
/// type; two or more newlines make a paragraph break.
public struct EspeakClauseEnd: Sendable, Equatable {
    public var terminator: ClauseTerminator
    public var endsSentence: Bool

    public init(terminator: ClauseTerminator, endsSentence: Bool) {
        self.terminator = terminator
        self.endsSentence = endsSentence
    }

    /// From espeak's clause type bits (what 1.52's `...WithTerminator` reports).
    /// Piper keeps only exact matches of the six plain types after masking
    /// off the high flag bits; the sentence bit decides the split.
    public init(clauseType: Int32) {
        let type = Int(clauseType) & 0x000F_FFFF
        switch type {
        case Self.clausePeriod: terminator = .period
        case Self.clauseQuestion: terminator = .question
        case Self.clauseExclamation: terminator = .exclamation
        case Self.clauseComma: terminator = .comma
        case Self.clauseColon: terminator = .colon
        case Self.clauseSemicolon: terminator = .semicolon
        default: terminator = .none
        }
        endsSentence = type & Self.typeSentence != 0
    }

    /// Infers the end of one clause.
    /// - clause: the clause's source text, from its first character up to the
    ///   first character of the next clause (trailing whitespace included).
    /// - next: the first character of the next clause; nil at the end of the text.
    public init(clause: Substring, next: Unicode.Scalar?) {
        let scalars = Array(clause.unicodeScalars)
        var end = scalars.count
        var newlines = 0
        while end > 0, scalars[end - 1].properties.isWhitespace {
            if scalars[end - 1] == "\n" { newlines += 1 }
            end -= 1
        }
        var start = end
        while start > 0, EspeakPunctuation.lookup(scalars[start - 1]) != nil { start -= 1 }

        // espeak ignores punctuation before the clause's first letter or digit.
        let hasWord = scalars[..<start].contains { $0.properties.isAlphabetic || $0.properties.numericType != nil }
        guard start < end, hasWord, let mark = EspeakPunctuation.lookup(scalars[start]) else {
            // No closing punctuation: a paragraph break, the end of the text, or
            // espeak's clause buffer filling up (which continues the sentence).
            self.init(terminator: .none, endsSentence: newlines >= 2 || next == nil)
            return
        }
        var kind = mark
        if scalars[start] == "." && end - start >= 3 && scalars[start + 1] == "." && scalars[start + 2] == "." {
            kind = EspeakPunctuation.ellipsis
        }
        // What followed the run must be something that lets espeak end a clause.
        let following: Unicode.Scalar? = end < scalars.count ? scalars[end] : next
        let closes = following.map { $0.properties.isWhitespace || EspeakPunctuation.isBracket($0) || $0 == "?" } ?? true
        guard closes || kind.spaceOptional else {
            self.init(terminator: .none, endsSentence: next == nil)
            return
        }
        if newlines >= 2 {
            self.init(terminator: .none, endsSentence: true)
        } else {
            self.init(terminator: kind.terminator, endsSentence: kind.endsSentence)
        }
    }

    // espeak-ng's clause types (translate.h): pause | intonation | type.
    static let typeSentence = 0x0008_0000
    static let clausePeriod = 40 | 0x0000 | typeSentence
    static let clauseQuestion = 40 | 0x2000 | typeSentence
    static let clauseExclamation = 45 | 0x3000 | typeSentence
    static let clauseComma = 20 | 0x1000 | 0x0004_0000
    static let clauseColon = 30 | 0x0000 | 0x0004_0000
    static let clauseSemicolon = 30 | 0x1000 | 0x0004_0000
}

/// The characters espeak-ng treats as clause punctuation, with the clause type
/// each one gives (espeak's ucd property table, for the scripts of Piper's
/// espeak voices). Marks that need no space after them (full-width and
/// ideographic ones) carry espeak's "optional space" flag, which makes Piper
/// drop them from the phonemes.
enum EspeakPunctuation {
    struct Kind: Equatable {
        var terminator: ClauseTerminator
        var endsSentence: Bool
        var spaceOptional: Bool
    }

    static let period = Kind(terminator: .period, endsSentence: true, spaceOptional: false)
    static let question = Kind(terminator: .question, endsSentence: true, spaceOptional: false)
    static let exclamation = Kind(terminator: .exclamation, endsSentence: true, spaceOptional: false)
    static let comma = Kind(terminator: .comma, endsSentence: false, spaceOptional: false)
    static let colon = Kind(terminator: .colon, endsSentence: false, spaceOptional: false)
    static let semicolon = Kind(terminator: .semicolon, endsSentence: false, spaceOptional: false)
    static let ellipsis = Kind(terminator: .none, endsSentence: false, spaceOptional: true)
    static let paragraph = Kind(terminator: .none, endsSentence: true, spaceOptional: false)
    static let fullWidthStop = Kind(terminator: .none, endsSentence: true, spaceOptional: true)
    static let fullWidthPause = Kind(terminator: .none, endsSentence: false, spaceOptional: true)

    static func lookup(_ c: Unicode.Scalar) -> Kind? {
        switch c.value {
        case 0x2E, 0x6D4, 0x2E33, 0x2E3C, 0xFE12, 0xFE52, 0xFF61: return period
        case 0x3F, 0x37E, 0x61F, 0x2047, 0xFE16, 0xFE56, 0x2753, 0x2754: return question
        case 0x21, 0x203C, 0xFE15, 0xFE57, 0x2755, 0x2757: return exclamation
        case 0x2C, 0x55D, 0x60C, 0x2E32, 0x2E34, 0x2E41, 0xFE10, 0xFE11, 0xFE50, 0xFE51, 0xFF64: return comma
        case 0x3A, 0x2982, 0xFE13, 0xFE55: return colon
        // Semicolons, and the long dashes espeak reads as a semicolon pause.
        case 0x3B, 0x387, 0x61B, 0x204F, 0x2E35, 0xFE14, 0xFE54,
             0x2013, 0x2014, 0x2E3A, 0x2E3B, 0xFE31, 0xFE32: return semicolon
        case 0x2026, 0xFE19, 0x22EE...0x22F1: return ellipsis
        case 0x965: return paragraph
        case 0x589, 0x964, 0x3002, 0xFF0E, 0xFF01, 0xFF1F: return fullWidthStop
        // Inverted marks open a clause; espeak treats them as an unspaced semicolon.
        case 0xA1, 0xBF, 0x3001, 0xFF0C, 0xFF1A, 0xFF1B: return fullWidthPause
        default: return nil
        }
    }

    /// espeak's brackets and quotes (translate.c `IsBracket`).
    static func isBracket(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x28, 0x29, 0x5B, 0x5D, 0x7B, 0x7D, 0x3C, 0x3E, 0x22, 0x27, 0x60, 0xAB, 0xBB, 0x300A, 0x300B,
             0x2014...0x201F:
            return true
        default:
            return false
        }
    }
}
