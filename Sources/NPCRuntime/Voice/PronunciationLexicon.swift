/// A game's own pronunciations: word → IPA, for the names and invented words
/// a general phonemizer gets wrong ("Ashford", "Xyl'thar"). Matching is
/// case-insensitive on whole words (letters and digits, with apostrophes
/// inside), and a possessive "'s" after a known word keeps the word's entry.
public struct PronunciationLexicon: Sendable {
    private var entries: [String: String] = [:]

    public init() {}

    /// Entries as word → IPA. Every word must be a single word and every
    /// pronunciation non-empty.
    public init(_ entries: [String: String]) throws(RuntimeError) {
        for (word, ipa) in entries { try set(word, ipa) }
    }

    /// Reads a JSON object of word → IPA strings, e.g. `{"Ashford": "ˈæʃfɚd"}`.
    public init(json bytes: [UInt8]) throws(RuntimeError) {
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            throw RuntimeError(.invalidArgument, "pronunciation lexicon is not valid JSON: \(error.message)")
        }
        guard let members = root.objectValue else {
            throw RuntimeError(.invalidArgument, "pronunciation lexicon must be a JSON object of word → IPA")
        }
        for (word, value) in members {
            guard let ipa = value.stringValue else {
                throw RuntimeError(.invalidArgument, "pronunciation lexicon: \"\(word)\" is not mapped to a string")
            }
            try set(word, ipa)
        }
    }

    public init(path: String) throws(RuntimeError) {
        let bytes = try readSmallFile(path, limit: 16 << 20)
        do {
            try self.init(json: bytes)
        } catch {
            throw RuntimeError(error.kind, "\(path): \(error.message)")
        }
    }

    public var isEmpty: Bool { entries.isEmpty }
    public var count: Int { entries.count }

    /// Adds or replaces one entry.
    public mutating func set(_ word: String, _ ipa: String) throws(RuntimeError) {
        let scalars = Array(word.unicodeScalars)
        guard !scalars.isEmpty, Self.wordEnd(in: scalars, from: 0) == scalars.count else {
            throw RuntimeError(.invalidArgument, "pronunciation lexicon: \"\(word)\" is not a single word")
        }
        guard ipa.unicodeScalars.contains(where: { !$0.properties.isWhitespace }) else {
            throw RuntimeError(.invalidArgument, "pronunciation lexicon: \"\(word)\" has an empty pronunciation")
        }
        entries[word.lowercased()] = ipa
    }

    /// The IPA for `word`, if the lexicon has it.
    public func pronunciation(of word: String) -> String? { entries[word.lowercased()] }

    /// One occurrence of a lexicon word in a text.
    public struct Match: Sendable, Equatable {
        /// Scalar offsets of the matched word (without a possessive "'s").
        public var range: Range<Int>
        public var word: String
        public var ipa: String
        /// The word was followed by a possessive "'s".
        public var possessive: Bool
    }

    /// The lexicon's words in `scalars`, in order.
    public func matches(in scalars: [Unicode.Scalar]) -> [Match] {
        guard !entries.isEmpty else { return [] }
        var found: [Match] = []
        var i = 0
        while i < scalars.count {
            guard Self.isWordCharacter(scalars[i]) else { i += 1; continue }
            let end = Self.wordEnd(in: scalars, from: i)
            var word = String(String.UnicodeScalarView(scalars[i..<end]))
            var wordEnd = end
            var possessive = false
            if entries[word.lowercased()] == nil, end - i > 2, scalars[end - 1] == "s" || scalars[end - 1] == "S",
               Self.isApostrophe(scalars[end - 2]) {
                word = String(String.UnicodeScalarView(scalars[i..<(end - 2)]))
                wordEnd = end - 2
                possessive = true
            }
            if let ipa = entries[word.lowercased()] {
                found.append(Match(range: i..<wordEnd, word: word, ipa: ipa, possessive: possessive))
            }
            i = end
        }
        return found
    }

    static func isWordCharacter(_ c: Unicode.Scalar) -> Bool {
        c.properties.isAlphabetic || c.properties.numericType != nil
    }

    static func isApostrophe(_ c: Unicode.Scalar) -> Bool { c == "'" || c == "\u{2019}" }

    /// End of the word starting at `start`: letters and digits, with single
    /// apostrophes between them.
    static func wordEnd(in scalars: [Unicode.Scalar], from start: Int) -> Int {
        var i = start
        while i < scalars.count {
            if isWordCharacter(scalars[i]) {
                i += 1
            } else if isApostrophe(scalars[i]), i > start, i + 1 < scalars.count, isWordCharacter(scalars[i + 1]) {
                i += 1
            } else {
                break
            }
        }
        return i
    }
}
