/// Numbers as American English words, the way a voice should say them:
/// cardinals ("one thousand two hundred fifty"), ordinals, years, decimals,
/// fractions and digit strings. Words are separated by single spaces (no
/// hyphens or "and"), which every phonemizer reads word by word.
public enum NumberWords {
    private static let ones = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                               "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
                               "seventeen", "eighteen", "nineteen"]
    private static let tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
    private static let scales: [(UInt64, String)] = [
        (1_000_000_000_000_000_000, "quintillion"), (1_000_000_000_000_000, "quadrillion"),
        (1_000_000_000_000, "trillion"), (1_000_000_000, "billion"), (1_000_000, "million"), (1_000, "thousand"),
    ]

    /// The value of each number word, lower case ("forty" → 40, "dozen" → 12): for
    /// reading figures back out of text.
    static let values: [String: UInt64] = {
        var v: [String: UInt64] = ["hundred": 100, "thousand": 1000, "million": 1_000_000, "dozen": 12]
        for (n, w) in ones.enumerated() { v[w] = UInt64(n) }
        for (n, w) in tens.enumerated() where !w.isEmpty { v[w] = UInt64(10 * n) }
        return v
    }()

    /// Words that start a count ("forty years", "two silver"), lower case.
    static let countWords: Set<String> = Set(values.keys).subtracting(["zero", "thousand", "million"])

    /// Digit strings longer than this are read digit by digit.
    public static let maxCardinalDigits = 19

    /// "1250" → "one thousand two hundred fifty".
    public static func cardinal(_ n: UInt64) -> String {
        if n < 1000 { return belowThousand(Int(n)) }
        var parts: [String] = []
        var rest = n
        for (value, name) in scales where rest >= value {
            parts.append(belowThousand(Int(rest / value)) + " " + name)
            rest %= value
        }
        if rest > 0 { parts.append(belowThousand(Int(rest))) }
        return parts.joined(separator: " ")
    }

    private static func belowThousand(_ n: Int) -> String {
        var parts: [String] = []
        if n >= 100 { parts.append(ones[n / 100] + " hundred") }
        let r = n % 100
        if r >= 20 {
            parts.append(r % 10 == 0 ? tens[r / 10] : tens[r / 10] + " " + ones[r % 10])
        } else if r > 0 || parts.isEmpty {
            parts.append(ones[r])
        }
        return parts.joined(separator: " ")
    }

    /// A digit string as a cardinal; leading zeros and very long strings are
    /// read digit by digit ("007" → "zero zero seven").
    public static func cardinal(digits: Substring) -> String {
        if digits.count > 1 && digits.first == "0" { return spelled(digits: digits) }
        guard digits.count <= maxCardinalDigits, let n = UInt64(digits) else { return spelled(digits: digits) }
        return cardinal(n)
    }

    /// "305" → "three zero five".
    public static func spelled(digits: Substring) -> String {
        digits.compactMap { $0.wholeNumberValue.map { ones[$0] } }.joined(separator: " ")
    }

    /// "22" → "twenty second".
    public static func ordinal(_ n: UInt64) -> String { ordinalize(cardinal(n)) }

    /// Turns the last word of a cardinal into its ordinal.
    static func ordinalize(_ words: String) -> String {
        var list = words.split(separator: " ").map(String.init)
        guard let last = list.popLast() else { return words }
        let irregular = ["one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
                         "nine": "ninth", "twelve": "twelfth"]
        let word: String
        if let special = irregular[last] {
            word = special
        } else if last.hasSuffix("y") {
            word = String(last.dropLast()) + "ieth"
        } else {
            word = last + "th"
        }
        list.append(word)
        return list.joined(separator: " ")
    }

    /// A year: "1999" → "nineteen ninety nine", "1905" → "nineteen oh five",
    /// "1900" → "nineteen hundred", "2005" → "two thousand five", "2024" →
    /// "twenty twenty four"; other numbers as cardinals.
    public static func year(_ y: UInt64) -> String {
        guard y >= 1000 && y <= 9999, y % 1000 != 0, !(y >= 2000 && y < 2010) else { return cardinal(y) }
        let high = cardinal(y / 100)
        let low = y % 100
        if low == 0 { return high + " hundred" }
        if low < 10 { return high + " oh " + ones[Int(low)] }
        return high + " " + cardinal(low)
    }

    /// "1990" → "nineteen nineties" (for "1990s"); "80" → "eighties".
    public static func decade(_ y: UInt64) -> String {
        let words = y >= 1000 ? year(y) : cardinal(y)
        var list = words.split(separator: " ").map(String.init)
        guard let last = list.popLast() else { return words }
        list.append(last.hasSuffix("y") ? String(last.dropLast()) + "ies" : last + "s")
        return list.joined(separator: " ")
    }

    /// "3.14" → "three point one four" (whole part as a cardinal, then digits).
    public static func decimal(whole: Substring, fraction: Substring) -> String {
        cardinal(digits: whole) + " point " + spelled(digits: fraction)
    }

    /// "3/4" → "three quarters", "1/2" → "one half"; nil when the denominator
    /// is not a small fraction word.
    public static func fraction(numerator: UInt64, denominator: UInt64) -> String? {
        guard denominator >= 2 && denominator <= 10 else { return nil }
        let singular: String
        switch denominator {
        case 2: singular = "half"
        case 4: singular = "quarter"
        default: singular = ordinal(denominator)
        }
        let noun = numerator == 1 ? singular : (denominator == 2 ? "halves" : singular + "s")
        return cardinal(numerator) + " " + noun
    }

    /// The value of a Roman numeral written in capitals, or nil if it is not
    /// a well-formed one ("IIII", "VX" and "IC" are rejected).
    public static func romanValue(_ text: Substring) -> Int? {
        let digits: [Character: Int] = ["I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000]
        let values = text.compactMap { digits[$0] }
        guard !values.isEmpty, values.count == text.count, values.count <= 15 else { return nil }
        var total = 0
        for (i, v) in values.enumerated() {
            if i + 1 < values.count && v < values[i + 1] { total -= v } else { total += v }
        }
        // Canonical form check: writing the value back must give the same letters.
        guard total > 0 && total < 4000, romanNumeral(total) == String(text) else { return nil }
        return total
    }

    static func romanNumeral(_ n: Int) -> String {
        let table: [(Int, String)] = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                                      (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
        var rest = n
        var out = ""
        for (value, letters) in table {
            while rest >= value {
                out += letters
                rest -= value
            }
        }
        return out
    }
}
