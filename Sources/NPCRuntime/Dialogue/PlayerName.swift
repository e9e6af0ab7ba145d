/// The name the player gave ("I'm Wilmet", "my name is Tamsin", "call me Brannoc"),
/// remembered in the NPC's system prompt so it survives the conversation window: a
/// small model rarely looks back several exchanges for it, and greets the player
/// by its own name instead. The latest introduction wins. Only a plain word of
/// letters is taken (player text is untrusted and lands in the system prompt).
enum PlayerName {
    static let maxLength = 24

    /// The name in the latest of `lines` that introduces the player, if any.
    static func find(in lines: [String]) -> String? {
        for line in lines.reversed() {
            if let name = introduced(in: line) { return name }
        }
        return nil
    }

    /// "I'm Wilmet." → "Wilmet". After "I'm" / "I am" the word must be capitalised
    /// ("I'm tired" is not a name); after "my name is", "name's" and "call me" it may not be.
    static func introduced(in line: String) -> String? {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" || $0 == "\t" }).map(String.init)
        var found: String?
        for (i, raw) in words.enumerated() {
            let w = String(raw.lowercased().map { $0 == "’" ? "'" : $0 }.drop { !$0.isLetter })  // "I'm after a quote
            var candidate: (word: String, mustBeCapitalised: Bool)?
            if w == "i'm", i + 1 < words.count {
                candidate = (words[i + 1], true)
            } else if w == "i", i + 2 < words.count, words[i + 1].lowercased() == "am" {
                candidate = (words[i + 2], true)
            } else if w == "name's" || w == "name", i + 1 < words.count {
                let next = words[i + 1].lowercased()
                if w == "name's" { candidate = (words[i + 1], false) }
                else if next == "is", i + 2 < words.count, i > 0, words[i - 1].lowercased() == "my" { candidate = (words[i + 2], false) }
            } else if w == "call", i + 2 < words.count, words[i + 1].lowercased() == "me" {
                candidate = (words[i + 2], false)
            }
            guard let (word, mustBeCapitalised) = candidate, let name = plainName(word) else { continue }
            if mustBeCapitalised && (name.first?.isUppercase != true || notNames.contains(name.lowercased())) { continue }
            found = name.prefix(1).uppercased() + name.dropFirst()
        }
        return found
    }

    /// The word without trailing punctuation, if it is letters only (a hyphen or an apostrophe inside).
    private static func plainName(_ word: String) -> String? {
        let trimmed = String(word.reversed().drop { !$0.isLetter }.reversed())
        guard (2...maxLength).contains(trimmed.count), trimmed.first?.isLetter == true,
              trimmed.allSatisfy({ $0.isLetter || $0 == "-" || $0 == "'" }) else { return nil }
        guard !notNames.contains(trimmed.lowercased()) else { return nil }
        return trimmed
    }

    /// Capitalised words that follow "I'm" without being names.
    private static let notNames: Set<String> = [
        "a", "an", "the", "not", "so", "very", "just", "here", "back", "sure", "sorry", "fine", "glad", "happy",
        "looking", "lost", "new", "from", "in", "on", "at", "good", "well", "okay", "ok", "tired", "hungry",
        "afraid", "going", "trying", "only", "also", "still", "really", "no", "your", "you", "who", "what",
    ]
}
