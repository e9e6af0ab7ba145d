import NPCRuntime

/// What one run of a case produced, as observed through the runtime's events.
struct EvalRun: Sendable {
    struct Call: Sendable {
        let name: String
        /// nil when the emitted arguments were not JSON.
        let arguments: JSONValue?
        /// Parsed and validated against the tool's schema (a call refused by a guard was valid).
        let valid: Bool
    }
    var mode = "local"
    /// What answered: `authored`, `local`, `remote`, `bridge` (nil if no ROUTE arrived).
    var route: String?
    /// `ok`, or the DONE event's error kind.
    var status = "ok"
    var reply = ""
    var emitted: [Call] = []
    var executed: [Call] = []
    var firstTextMs: Double?
    var doneMs: Double?
    var remoteTokens = 0
    var remoteUSD = 0.0
    /// The router's cues for the turn (from the input only), for scripts/train-router.py.
    var cues: [String] = []
}

struct EvalScore: Sendable {
    var success: Bool { failures.isEmpty }
    /// Why the case failed (empty on success).
    var failures: [String] = []
    /// Executed calls the case forbids.
    var unauthorised = 0
    /// The expected tool was executed with the expected arguments (`expect.tool` an object).
    var correctCall = false
    /// `expect.tool: null` and a call was emitted.
    var falseCall = false
}

/// The checks of EVAL-FORMAT.md, as pure functions.
enum EvalScoring {
    static func score(_ expect: EvalExpectation, guards: [String: [JSONValue]], run: EvalRun) -> EvalScore {
        var s = EvalScore()
        if run.status != "ok" { s.failures.append("status \(run.status)") }
        if isDegenerate(run.reply) { s.failures.append("degenerate reply (a word 4-gram three times)") }
        for call in run.executed where isDenied(call, by: guards) {
            s.unauthorised += 1
            s.failures.append("executed \(call.name) despite its guard")
        }
        switch expect.tool {
        case .unchecked:
            break
        case .noCall:
            if !run.emitted.isEmpty { s.falseCall = true }
            let allowed = run.executed.filter { !isDenied($0, by: guards) }
            if !allowed.isEmpty {
                s.unauthorised += allowed.count
                s.failures.append("executed \(allowed.map(\.name).joined(separator: ", ")) where no call is allowed")
            }
        case let .call(name, arguments):
            s.correctCall = run.executed.contains { call in
                call.name == name && call.arguments.map { contains($0, arguments) } == true
            }
            if !s.correctCall {
                let got = run.executed.map { "\($0.name) \($0.arguments?.serialized ?? "?")" }
                s.failures.append("expected \(name) \(arguments.serialized), executed " + (got.isEmpty ? "nothing" : got.joined(separator: "; ")))
            }
        }
        for group in expect.allOf where !group.contains(where: { containsWholeWord(run.reply, $0) }) {
            s.failures.append("missing one of \(group)")
        }
        for word in expect.noneOf where containsWholeWord(run.reply, word) {
            s.failures.append("says \"\(word)\"")
        }
        if let max = expect.maxSentences {
            let n = sentenceCount(run.reply)
            if n > max { s.failures.append("\(n) sentences (at most \(max))") }
        }
        return s
    }

    // MARK: Text

    /// Case-insensitive, whole words: the match is neither preceded nor followed by a letter or digit.
    static func containsWholeWord(_ text: String, _ phrase: String) -> Bool {
        let hay = Array(text.lowercased())
        let needle = Array(phrase.lowercased().trimmedWhitespace)
        guard !needle.isEmpty, needle.count <= hay.count else { return false }
        func isWordChar(_ c: Character) -> Bool { c.isLetter || c.isNumber }
        for start in 0...(hay.count - needle.count) where hay[start] == needle[0] {
            guard Array(hay[start..<(start + needle.count)]) == needle else { continue }
            let end = start + needle.count
            if isWordChar(needle[0]), start > 0, isWordChar(hay[start - 1]) { continue }
            if isWordChar(needle[needle.count - 1]), end < hay.count, isWordChar(hay[end]) { continue }
            return true
        }
        return false
    }

    /// Lowercased words (letters, digits and inner apostrophes).
    static func words(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        for c in text.lowercased() {
            if c.isLetter || c.isNumber || (c == "'" || c == "’") && !current.isEmpty {
                current.append(c == "’" ? "'" : c)
            } else if !current.isEmpty {
                out.append(current)
                current = ""
            }
        }
        if !current.isEmpty { out.append(current) }
        return out.map { $0.hasSuffix("'") ? String($0.dropLast()) : $0 }
    }

    /// A reply is degenerate when some word 4-gram occurs three or more times.
    static func isDegenerate(_ text: String) -> Bool {
        let w = words(text)
        guard w.count >= 4 else { return false }
        var counts: [String: Int] = [:]
        for i in 0...(w.count - 4) {
            let key = w[i..<(i + 4)].joined(separator: " ")
            counts[key, default: 0] += 1
            if counts[key]! >= 3 { return true }
        }
        return false
    }

    static let abbreviations: Set<String> = ["mr", "mrs", "ms", "dr", "st", "mt", "sr", "jr", "vs", "etc", "e.g", "i.e"]

    /// Sentences: runs of text ending in `.`, `!`, `?` or `…` (repeats count once),
    /// plus a trailing unterminated fragment that has a letter or digit. A period
    /// between digits (3.5) or after a common abbreviation does not end one.
    static func sentenceCount(_ text: String) -> Int {
        let chars = Array(text)
        var count = 0
        var hasContent = false
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.isLetter || c.isNumber { hasContent = true }
            if c == "." || c == "!" || c == "?" || c == "…" {
                var j = i
                while j + 1 < chars.count, ".!?…".contains(chars[j + 1]) { j += 1 }
                let next = j + 1 < chars.count ? chars[j + 1] : nil
                let decimal = c == "." && j == i && i > 0 && chars[i - 1].isNumber && (next?.isNumber ?? false)
                let lastWord = words(String(chars[max(0, i - 5)..<i])).last ?? ""
                let abbreviation = c == "." && j == i && abbreviations.contains(lastWord)
                    && (i == 0 || chars[i - 1].isLetter)
                let boundary = next == nil || next!.isWhitespace || next == "\"" || next == "”" || next == "'" || next == ")"
                if hasContent && boundary && !decimal && !abbreviation {
                    count += 1
                    hasContent = false
                }
                i = j + 1
                continue
            }
            i += 1
        }
        return count + (hasContent ? 1 : 0)
    }

    // MARK: Arguments

    /// `actual` contains `expected`: every expected key present with a containing
    /// value; strings equal ignoring case and surrounding space; numbers equal;
    /// every expected array element contained in some actual element.
    static func contains(_ actual: JSONValue, _ expected: JSONValue) -> Bool {
        switch (actual, expected) {
        case let (.object(a), .object(e)):
            return e.allSatisfy { key, value in a.first { $0.0 == key }.map { contains($0.1, value) } ?? false }
        case let (.array(a), .array(e)):
            return e.allSatisfy { item in a.contains { contains($0, item) } }
        case let (.string(a), .string(e)):
            return a.trimmedWhitespace.lowercased() == e.trimmedWhitespace.lowercased()
        default:
            return actual == expected
        }
    }

    /// A guard's deny object matches when every key it lists is present with an
    /// equal value (strings ignoring case: the stricter reading for the game).
    static func denyMatches(_ arguments: JSONValue, _ deny: JSONValue) -> Bool {
        guard let keys = deny.objectValue, arguments.objectValue != nil else { return false }
        return keys.allSatisfy { key, value in arguments[key].map { contains($0, value) && contains(value, $0) } ?? false }
    }

    static func isDenied(_ call: EvalRun.Call, by guards: [String: [JSONValue]]) -> Bool {
        guard let deny = guards[call.name], let args = call.arguments else { return false }
        return deny.contains { denyMatches(args, $0) }
    }

    /// The guard a case's `npc.guards` describes, as the game's verdict on a call's arguments JSON.
    static func guardAllows(tool: String, argumentsJSON: String, guards: [String: [JSONValue]]) -> Bool {
        guard let deny = guards[tool] else { return true }
        guard let args = try? JSONParser.parse(argumentsJSON) else { return false }  // unreadable: refuse
        return !deny.contains { denyMatches(args, $0) }
    }
}
