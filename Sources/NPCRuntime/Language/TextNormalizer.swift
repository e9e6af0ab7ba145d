/// Game text → words a phonemizer can read, before phonemes: numbers, money,
/// ordinals, times, dates, abbreviations, units, Roman numerals in names,
/// symbols, web and email addresses; emoji are dropped. Text that needs
/// none of this comes out unchanged (apart from whitespace and typographic
/// quotes). American English readings; pure Swift.
public struct TextNormalizer: Sendable {
    public init() {}

    public func normalize(_ text: String) -> String {
        let cleaned = Self.clean(text)
        let tokens = Self.tokenize(Self.speakAddresses(cleaned))
        var rewriter = Rewriter(tokens: tokens)
        return rewriter.run()
    }

    // MARK: - Cleaning

    /// Drops emoji and control characters, straightens typographic quotes,
    /// and collapses whitespace to single spaces (a blank line, which espeak
    /// reads as a paragraph break, stays a blank line).
    static func clean(_ text: String) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.unicodeScalars.count)
        var pendingSpace = false
        var newlines = 0
        for c in text.unicodeScalars {
            if c.properties.isWhitespace || (c.value < 0x20) || c.value == 0x7F {
                pendingSpace = true
                if c == "\n" { newlines += 1 }
                continue
            }
            if isEmoji(c) { continue }
            if pendingSpace {
                if !out.isEmpty { out.append(contentsOf: newlines >= 2 ? ["\n", "\n"] : [" "]) }
                pendingSpace = false
                newlines = 0
            }
            switch c {
            case "\u{2018}", "\u{2019}", "\u{201A}", "\u{2032}": out.append("'")
            case "\u{201C}", "\u{201D}", "\u{201E}", "\u{2033}": out.append("\"")
            case "\u{2212}": out.append("-")
            default: out.append(c)
            }
        }
        return out
    }

    /// Pictographs, their modifiers and joiners. Digits, '#' and '*' are emoji
    /// too in Unicode's tables, so only scalars beyond Latin count; the double
    /// exclamation and exclamation-question marks stay punctuation.
    static func isEmoji(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x200D, 0x20E3, 0xFE0E, 0xFE0F, 0xE0020...0xE007F: return true
        case 0x203C, 0x2049: return false
        default:
            let p = c.properties
            return p.isEmojiPresentation || p.isEmojiModifier || (p.isEmoji && c.value >= 0x2000)
        }
    }

    /// Replaces each whitespace-separated email or web address (without the
    /// punctuation around it) by its spoken form.
    static func speakAddresses(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard scalars.contains(where: { $0 == "@" || $0 == "." || $0 == "/" }) else { return scalars }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(scalars.count)
        var start = 0
        while start < scalars.count {
            var end = start
            while end < scalars.count && scalars[end] != " " && scalars[end] != "\n" { end += 1 }
            var coreStart = start
            var coreEnd = end
            while coreStart < coreEnd && "(<[\"'".unicodeScalars.contains(scalars[coreStart]) { coreStart += 1 }
            while coreEnd > coreStart && ".,;:!?)>]\"'".unicodeScalars.contains(scalars[coreEnd - 1]) { coreEnd -= 1 }
            let core = String(String.UnicodeScalarView(scalars[coreStart..<coreEnd]))
            if coreEnd > coreStart, let spoken = SpokenAddress.spoken(core) {
                out.append(contentsOf: scalars[start..<coreStart])
                out.append(contentsOf: spoken.unicodeScalars)
                out.append(contentsOf: scalars[coreEnd..<end])
            } else {
                out.append(contentsOf: scalars[start..<end])
            }
            if end < scalars.count { out.append(scalars[end]) }
            start = end + 1
        }
        return out
    }

    // MARK: - Tokens

    struct Token: Equatable {
        enum Kind { case word, number, space, symbol }
        var kind: Kind
        var text: String
    }

    /// Words (letters, with apostrophes inside), ASCII digit runs, spaces, and
    /// single other characters.
    static func tokenize(_ scalars: [Unicode.Scalar]) -> [Token] {
        var tokens: [Token] = []
        var i = 0
        func isLetter(_ c: Unicode.Scalar) -> Bool {
            c.properties.isAlphabetic || c.properties.generalCategory == .nonspacingMark
                || (c.properties.numericType == .decimal && !(c.value >= 0x30 && c.value <= 0x39))
        }
        func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 0x30 && c.value <= 0x39 }
        while i < scalars.count {
            let c = scalars[i]
            var j = i + 1
            let kind: Token.Kind
            if isDigit(c) {
                while j < scalars.count && isDigit(scalars[j]) { j += 1 }
                kind = .number
            } else if isLetter(c) {
                while j < scalars.count {
                    if isLetter(scalars[j]) {
                        j += 1
                    } else if scalars[j] == "'", j + 1 < scalars.count, isLetter(scalars[j + 1]) {
                        j += 1
                    } else {
                        break
                    }
                }
                kind = .word
            } else if c == " " || c == "\n" {
                while j < scalars.count && (scalars[j] == " " || scalars[j] == "\n") { j += 1 }
                kind = .space
            } else {
                kind = .symbol
            }
            tokens.append(Token(kind: kind, text: String(String.UnicodeScalarView(scalars[i..<j]))))
            i = j
        }
        return tokens
    }
}
