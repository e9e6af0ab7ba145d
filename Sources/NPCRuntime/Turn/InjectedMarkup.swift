/// Signs that a player's line carries something other than speech: chat-format
/// tags, call or code syntax, a function's name, or characters that disguise a
/// word (invisible ones, a letter of another script inside a Latin word,
/// full-width brackets). A player asking a character for something asks in
/// words; a line like these is never taken as a request for an action, and the
/// NPC answers it in words. (The markup itself is already inert: typed special
/// tokens are text and only the grammar's own calls are parsed.)
enum InjectedMarkup {
    static func isPresent(in line: String) -> Bool {
        let scalars = Array(line.unicodeScalars)
        if scalars.contains(where: isInvisible) || scalars.contains(where: isFullWidthBracket) { return true }
        if hasTag(scalars) || hasCodeSyntax(scalars) { return true }
        return words(scalars).contains { word in isIdentifier(word) || mixesScripts(word) }
    }

    /// Zero-width and direction-control characters, soft hyphen, word joiner, BOM.
    private static func isInvisible(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x00AD, 0x200B...0x200F, 0x202A...0x202E, 0x2060...0x2064, 0xFEFF: return true
        default: return false
        }
    }

    private static func isFullWidthBracket(_ s: Unicode.Scalar) -> Bool {
        [0xFF1C, 0xFF1E, 0xFF3B, 0xFF3D, 0xFF5B, 0xFF5D, 0xFF5C].contains(s.value)
    }

    /// `<name>`, `</name>`, `<|name|>`, `[INST]`, `<<SYS>>`: the tags of chat formats.
    private static func hasTag(_ s: [Unicode.Scalar]) -> Bool {
        var i = 0
        while i < s.count {
            if s[i] == "<" || s[i] == "[" {
                let close: Unicode.Scalar = s[i] == "<" ? ">" : "]"
                var j = i + 1
                // at most two openers ("<<SYS>>", "</", "<|"): a long run of "<" stays linear
                while j < s.count && j < i + 3 && (s[j] == "/" || s[j] == "|" || s[j] == "<" || s[j] == "[") { j += 1 }
                let nameStart = j
                while j < s.count && (isASCIILetterOrDigit(s[j]) || s[j] == "_") { j += 1 }
                let nameEnd = j
                while j < s.count && (s[j] == "|" || s[j] == close) { j += 1 }
                // a bracketed word is a tag when upper case ([INST]); lower case is a stage direction ([smiles])
                if nameEnd > nameStart, j > nameEnd, s[j - 1] == close,
                   s[i] == "<" || s[nameStart..<nameEnd].allSatisfy({ $0.properties.isUppercase || $0 == "_" }) {
                    return true
                }
            }
            i += 1
        }
        return false
    }

    /// A JSON key (`{"` or `"name":`), a call `name(…=…)`, an assignment `name=value`,
    /// or a slash command at the start of the line.
    private static func hasCodeSyntax(_ s: [Unicode.Scalar]) -> Bool {
        if let first = s.first(where: { !$0.properties.isWhitespace }), first == "/" { return true }
        for i in s.indices.dropLast() {
            if s[i] == "{" && (s[i + 1] == "\"" || s[i + 1] == "'") { return true }
            if s[i] == "\"" && s[i + 1] == ":" { return true }
            if s[i] == "=" && i > 0 && (isASCIILetterOrDigit(s[i - 1]) || s[i - 1] == "_")
                && (isASCIILetterOrDigit(s[i + 1]) || s[i + 1] == "\"" || s[i + 1] == "'") { return true }
        }
        return false
    }

    /// Runs of letters, digits and underscores (with the invisible characters kept out).
    private static func words(_ s: [Unicode.Scalar]) -> [[Unicode.Scalar]] {
        var out: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for c in s {
            if c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" {
                current.append(c)
            } else if !current.isEmpty {
                out.append(current)
                current = []
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// `open_gate`: letters joined by an underscore, the shape of a function's name.
    private static func isIdentifier(_ word: [Unicode.Scalar]) -> Bool {
        guard let first = word.firstIndex(of: "_"), first > 0, let last = word.lastIndex(of: "_"), last < word.count - 1 else { return false }
        return word[first - 1].properties.isAlphabetic && word[last + 1].properties.isAlphabetic
    }

    /// A word with both Latin letters and Cyrillic or Greek ones ("оpen" with a Cyrillic о).
    private static func mixesScripts(_ word: [Unicode.Scalar]) -> Bool {
        var latin = false, other = false
        for c in word where c.properties.isAlphabetic {
            switch c.value {
            case 0x41...0x5A, 0x61...0x7A, 0xC0...0x24F: latin = true
            case 0x370...0x3FF, 0x400...0x52F: other = true
            default: break
            }
        }
        return latin && other
    }

    private static func isASCIILetterOrDigit(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)
    }
}
