extension TextNormalizer {
    /// One pass over the tokens; each rule reads ahead (and back) as far as it
    /// needs, writes words to `out`, and returns the index of the next token.
    struct Rewriter {
        let tokens: [Token]
        private var out = Output()

        init(tokens: [Token]) { self.tokens = tokens }

        mutating func run() -> String {
            var i = 0
            while i < tokens.count {
                switch tokens[i].kind {
                case .space:
                    out.space(tokens[i].text)
                    i += 1
                case .number: i = number(at: i)
                case .word: i = word(at: i)
                case .symbol: i = symbol(at: i)
                }
            }
            return out.rendered
        }

        // MARK: Token queries

        private func token(_ i: Int) -> Token? { i >= 0 && i < tokens.count ? tokens[i] : nil }
        private func isSymbol(_ i: Int, _ s: String) -> Bool { token(i).map { $0.kind == .symbol && $0.text == s } ?? false }
        private func isSingleSpace(_ i: Int) -> Bool { token(i).map { $0.kind == .space && $0.text == " " } ?? false }
        private func isWord(_ i: Int) -> Bool { token(i)?.kind == .word }
        private func isNumber(_ i: Int) -> Bool { token(i)?.kind == .number }
        private func isCapitalized(_ i: Int) -> Bool {
            guard let t = token(i), t.kind == .word, let first = t.text.unicodeScalars.first else { return false }
            return first.properties.isUppercase
        }
        private func numberValue(_ i: Int) -> UInt64? {
            guard let t = token(i), t.kind == .number, t.text.count <= 18 else { return nil }
            return UInt64(t.text)
        }

        /// The token before `i`, stepping over one single space.
        private func previous(_ i: Int) -> Int? {
            if isSingleSpace(i - 1) { return i - 2 >= 0 ? i - 2 : nil }
            return i - 1 >= 0 ? i - 1 : nil
        }

        /// The word before `i`, across one space.
        private func previousWord(_ i: Int) -> String? {
            guard isSingleSpace(i - 1), let t = token(i - 2), t.kind == .word else { return nil }
            return t.text
        }

        /// Whether the word at `i` begins a sentence.
        private func startsSentence(_ i: Int) -> Bool {
            if i == 0 { return true }
            if let t = token(i - 1), t.kind == .space, t.text.contains("\n") { return true }
            guard let p = previous(i), let t = token(p) else { return true }
            return t.kind == .symbol && [".", "!", "?", "\"", "(", ":", ";", "…"].contains(t.text)
        }

        /// After an abbreviation's period at `i - 1`: does the period also end the sentence?
        private func periodEndsSentence(_ j: Int) -> Bool {
            guard let t = token(j) else { return true }
            if t.kind == .space && t.text.contains("\n") { return true }
            return isSingleSpace(j) && isCapitalized(j + 1)
        }

        // MARK: Numbers

        /// Digits with optional thousands groups ("1,250") and decimals ("3.14").
        private struct Literal {
            var whole: String
            var fraction: String?
            var grouped: Bool
            var end: Int
            var isPlain: Bool { fraction == nil && !grouped }
            var value: UInt64? { whole.count <= 18 ? UInt64(whole) : nil }

            var words: String {
                if let fraction { return NumberWords.decimal(whole: whole[...], fraction: fraction[...]) }
                return NumberWords.cardinal(digits: whole[...])
            }
        }

        private func literal(at i: Int) -> Literal {
            var whole = tokens[i].text
            var j = i + 1
            var grouped = false
            if whole.count <= 3 && !(whole.count > 1 && whole.hasPrefix("0")) {
                while isSymbol(j, ","), let g = token(j + 1), g.kind == .number, g.text.count == 3 {
                    whole += g.text
                    grouped = true
                    j += 2
                }
            }
            var fraction: String?
            if isSymbol(j, "."), let f = token(j + 1), f.kind == .number, !(isSymbol(j + 2, ".") && isNumber(j + 3)) {
                fraction = f.text
                j += 2
            }
            return Literal(whole: whole, fraction: fraction, grouped: grouped, end: j)
        }

        private mutating func number(at i: Int) -> Int {
            let lit = literal(at: i)
            let after = lit.end
            if let end = dottedSequence(at: i) { return end }
            if lit.isPlain, let v = lit.value {
                if let end = time(hour: v, at: i) { return end }
                if let end = feetAndInches(v, at: i) { return end }
                if let end = numericDate(first: v, at: i) { return end }
                if let end = dayOfMonth(v, at: i) { return end }
                if let end = fractionOrSlash(v, at: i) { return end }
                if let end = range(v, at: i) { return end }
                if let t = token(after), t.kind == .word {
                    let suffix = t.text.lowercased()
                    if ["st", "nd", "rd", "th"].contains(suffix) {
                        out.word(NumberWords.ordinal(v))
                        return after + 1
                    }
                    if suffix == "s" && v >= 10 && v % 10 == 0 {
                        out.word(NumberWords.decade(v))
                        return after + 1
                    }
                }
                if v >= 1 && v <= 12, let (meridiem, end) = meridiem(at: after) {
                    out.word(NumberWords.cardinal(v) + " " + meridiem)
                    return end
                }
                if let mixed = mixedFraction(v, at: after) { return mixed }
            }
            if isSymbol(after, "%") {
                out.word(lit.words + " percent")
                return after + 1
            }
            if isSymbol(after, "°") {
                let one = lit.isPlain && lit.value == 1
                var words = lit.words + (one ? " degree" : " degrees")
                var end = after + 1
                if let scale = token(end), scale.kind == .word, scale.text == "C" || scale.text == "F" {
                    words += scale.text == "C" ? " Celsius" : " Fahrenheit"
                    end += 1
                }
                out.word(words)
                return end
            }
            if let end = currencyAfter(lit) { return end }
            if let end = unit(lit) { return end }
            if lit.isPlain, let v = lit.value, lit.whole.count == 4, v >= 1000 && v <= 2999, isYearContext(i) {
                out.word(NumberWords.year(v))
                return after
            }
            out.word(lit.words)
            return after
        }

        /// "in 1999", "March 1999", "1492 AD".
        private func isYearContext(_ i: Int) -> Bool {
            if let w = previousWord(i) {
                if TextNormalizer.yearContexts.contains(w.lowercased()) || TextNormalizer.months.contains(w) { return true }
            }
            if isSingleSpace(i + 1), let next = token(i + 2), next.kind == .word,
               ["BC", "AD", "BCE", "CE"].contains(next.text) { return true }
            return false
        }

        /// "3:30" → "three thirty", "3:05" → "three oh five", "3:00" → "three
        /// o'clock", "15:00" → "fifteen hundred", with an optional "pm".
        private mutating func time(hour: UInt64, at i: Int) -> Int? {
            let colon = i + 1
            guard isSymbol(colon, ":"), let m = token(colon + 1), m.kind == .number, m.text.count == 2,
                  let minute = UInt64(m.text), hour <= 23, minute <= 59, tokens[i].text.count <= 2 else { return nil }
            let meridiemPart = hour >= 1 && hour <= 12 ? meridiem(at: colon + 2) : nil
            var words = NumberWords.cardinal(hour)
            if minute == 0 {
                if meridiemPart == nil { words += hour >= 1 && hour <= 12 ? " o'clock" : " hundred" }
            } else if minute < 10 {
                words += " oh " + NumberWords.cardinal(minute)
            } else {
                words += " " + NumberWords.cardinal(minute)
            }
            if let (meridiem, end) = meridiemPart {
                out.word(words + " " + meridiem)
                return end
            }
            out.word(words)
            return colon + 2
        }

        /// "am", "PM", "a.m.", "p.m" right after a number or one space later:
        /// the spoken letters and the index after them. The final period of
        /// "p.m." is kept when it also ends the sentence.
        private func meridiem(at start: Int) -> (String, Int)? {
            let j = isSingleSpace(start) ? start + 1 : start
            guard let t = token(j), t.kind == .word else { return nil }
            let lower = t.text.lowercased()
            if lower == "am" || lower == "pm" { return (lower == "am" ? "a m" : "p m", j + 1) }
            guard lower == "a" || lower == "p", isSymbol(j + 1, "."), let m = token(j + 2), m.kind == .word,
                  m.text.lowercased() == "m" else { return nil }
            let spoken = lower == "a" ? "a m" : "p m"
            guard isSymbol(j + 3, ".") else { return (spoken, j + 3) }
            if periodEndsSentence(j + 4) {
                // Let the period be read as the sentence end.
                return (spoken, j + 3)
            }
            return (spoken, j + 4)
        }

        /// "3/14/2024" (month first unless the first part cannot be a month),
        /// and ISO "2024-03-14".
        private mutating func numericDate(first: UInt64, at i: Int) -> Int? {
            func part(_ k: Int, maxDigits: Int) -> UInt64? {
                guard let t = token(k), t.kind == .number, t.text.count <= maxDigits else { return nil }
                return UInt64(t.text)
            }
            if tokens[i].text.count == 4, isSymbol(i + 1, "-"), let month = part(i + 2, maxDigits: 2),
               isSymbol(i + 3, "-"), let day = part(i + 4, maxDigits: 2), (1...12).contains(month), (1...31).contains(day) {
                out.word(TextNormalizer.months[Int(month) - 1] + " " + NumberWords.ordinal(day))
                out.text(",")
                out.space(" ")
                out.word(NumberWords.year(first))
                return i + 5
            }
            guard tokens[i].text.count <= 2, isSymbol(i + 1, "/"), let second = part(i + 2, maxDigits: 2),
                  isSymbol(i + 3, "/"), let yearToken = token(i + 4), yearToken.kind == .number,
                  yearToken.text.count == 2 || yearToken.text.count == 4, let year = UInt64(yearToken.text) else { return nil }
            let yearWords = yearToken.text.count == 4 ? NumberWords.year(year)
                : (year < 10 ? "oh " + NumberWords.cardinal(year) : NumberWords.cardinal(year))
            if (1...12).contains(first) && (1...31).contains(second) {
                out.word(TextNormalizer.months[Int(first) - 1] + " " + NumberWords.ordinal(second))
            } else if (1...12).contains(second) && (1...31).contains(first) {
                out.word("the " + NumberWords.ordinal(first) + " of " + TextNormalizer.months[Int(second) - 1])
            } else {
                return nil
            }
            out.text(",")
            out.space(" ")
            out.word(yearWords)
            return i + 5
        }

        /// "3 March" → "the third of March".
        private mutating func dayOfMonth(_ day: UInt64, at i: Int) -> Int? {
            guard (1...31).contains(day), tokens[i].text.count <= 2, isSingleSpace(i + 1),
                  let m = token(i + 2), m.kind == .word, TextNormalizer.months.contains(m.text) else { return nil }
            out.word("the " + NumberWords.ordinal(day) + " of " + m.text)
            return i + 3
        }

        /// "1/2" → "one half", "50/100" → "fifty out of one hundred", "24/7" →
        /// "twenty four seven".
        private mutating func fractionOrSlash(_ numerator: UInt64, at i: Int) -> Int? {
            guard isSymbol(i + 1, "/"), let d = numberValue(i + 2), !isSymbol(i + 3, "/") else { return nil }
            if numerator < d || (d == 2 && numerator < 10), let words = NumberWords.fraction(numerator: numerator, denominator: d) {
                out.word(words)
                return i + 3
            }
            if numerator <= d {
                out.word(NumberWords.cardinal(numerator) + " out of")
                return i + 2
            }
            out.word(NumberWords.cardinal(digits: tokens[i].text[...]))
            return i + 2
        }

        /// "2 1/2" → "two and one half", "2½" → "two and one half".
        private mutating func mixedFraction(_ whole: UInt64, at after: Int) -> Int? {
            if let t = token(after), t.kind == .symbol, let scalar = t.text.unicodeScalars.first,
               "½⅓⅔¼¾⅛".unicodeScalars.contains(scalar), let words = TextNormalizer.symbolWords[scalar] {
                out.word(NumberWords.cardinal(whole) + " and " + words)
                return after + 1
            }
            guard isSingleSpace(after), let n = numberValue(after + 1), isSymbol(after + 2, "/"),
                  let d = numberValue(after + 3), n < d, !isSymbol(after + 4, "/"),
                  let words = NumberWords.fraction(numerator: n, denominator: d) else { return nil }
            out.word(NumberWords.cardinal(whole) + " and " + words)
            return after + 4
        }

        /// "5-10" → "five to ten" (the second number is then read with its own
        /// unit); "1990-1995" → "nineteen ninety to nineteen ninety five".
        /// Longer pairs ("555-1234") are not ranges.
        private mutating func range(_ first: UInt64, at i: Int) -> Int? {
            guard let dash = token(i + 1), dash.kind == .symbol, dash.text == "-" || dash.text == "\u{2013}",
                  let second = token(i + 2), second.kind == .number, let last = UInt64(second.text), first < last,
                  !(isSymbol(i + 3, ".") && isNumber(i + 4)), !isSymbol(i + 3, ":") else { return nil }
            let isYear = { (t: String, v: UInt64) in t.count == 4 && v >= 1000 && v <= 2999 }
            if isYear(tokens[i].text, first) && isYear(second.text, last) {
                out.word(NumberWords.year(first) + " to " + NumberWords.year(last))
                return i + 3
            }
            guard tokens[i].text.count <= 3, second.text.count <= 3 else { return nil }
            out.word(NumberWords.cardinal(first) + " to")
            return i + 2
        }

        /// "1.2.3" (a version) → "one point two point three".
        private mutating func dottedSequence(at i: Int) -> Int? {
            var j = i
            var parts: [String] = []
            while let t = token(j), t.kind == .number {
                parts.append(NumberWords.cardinal(digits: t.text[...]))
                guard isSymbol(j + 1, "."), isNumber(j + 2) else { break }
                j += 2
            }
            guard parts.count >= 3 else { return nil }
            out.word(parts.joined(separator: " point "))
            return j + 1
        }

        /// 6'2" → "six feet two inches".
        private mutating func feetAndInches(_ feet: UInt64, at i: Int) -> Int? {
            guard isSymbol(i + 1, "'"), let inches = numberValue(i + 2), isSymbol(i + 3, "\"") else { return nil }
            out.word(NumberWords.cardinal(feet) + (feet == 1 ? " foot " : " feet ") + NumberWords.cardinal(inches)
                     + (inches == 1 ? " inch" : " inches"))
            return i + 4
        }

        /// "5€", "50¢".
        private mutating func currencyAfter(_ lit: Literal) -> Int? {
            let j = isSingleSpace(lit.end) && token(lit.end + 1)?.kind == .symbol ? lit.end + 1 : lit.end
            guard let t = token(j), t.kind == .symbol, let scalar = t.text.unicodeScalars.first else { return nil }
            if scalar == "¢" {
                out.word(lit.words + (lit.isPlain && lit.value == 1 ? " cent" : " cents"))
                return j + 1
            }
            guard let currency = TextNormalizer.currencies[scalar], !isNumber(j + 1) else { return nil }
            out.word(money(lit, currency: currency, scale: nil))
            return j + 1
        }

        /// "5 km", "3kg", "5 gp", "10 km/h".
        private mutating func unit(_ lit: Literal) -> Int? {
            let j = isSingleSpace(lit.end) ? lit.end + 1 : lit.end
            guard let t = token(j), t.kind == .word, let unit = TextNormalizer.units[t.text] else { return nil }
            let one = lit.isPlain && lit.value == 1
            var words = lit.words + " " + (one ? unit.singular : unit.plural)
            var end = j + 1
            if isSymbol(end, "/"), let per = token(end + 1), per.kind == .word, let perUnit = TextNormalizer.units[per.text] {
                words += " per " + perUnit.singular
                end += 2
            }
            out.word(words)
            return end
        }

        /// Money in words: "$3.50" → "three dollars and fifty cents".
        private func money(_ lit: Literal, currency: (major: Unit, minor: Unit?), scale: String?) -> String {
            if let scale { return lit.words + " " + scale + " " + currency.major.plural }
            guard let value = lit.value else { return lit.words + " " + currency.major.plural }
            guard let fraction = lit.fraction else {
                return NumberWords.cardinal(value) + " " + (value == 1 ? currency.major.singular : currency.major.plural)
            }
            guard let minorUnit = currency.minor, fraction.count == 2, let minor = UInt64(fraction) else {
                return lit.words + " " + currency.major.plural
            }
            var parts: [String] = []
            if value > 0 || minor == 0 {
                parts.append(NumberWords.cardinal(value) + " " + (value == 1 ? currency.major.singular : currency.major.plural))
            }
            if minor > 0 {
                parts.append(NumberWords.cardinal(minor) + " " + (minor == 1 ? minorUnit.singular : minorUnit.plural))
            }
            return parts.joined(separator: " and ")
        }

        // MARK: Words

        private mutating func word(at i: Int) -> Int {
            let text = tokens[i].text
            if let end = dotted(at: i) { return end }
            if let abbreviation = TextNormalizer.abbreviations[text], let end = expand(abbreviation, at: i) { return end }
            if (text == "No" || text == "no"), isSymbol(i + 1, "."), isSingleSpace(i + 2), isNumber(i + 3) {
                out.word("number")
                return i + 2
            }
            if let end = month(at: i) { return end }
            if let end = roman(at: i) { return end }
            out.word(text)
            return i + 1
        }

        /// "e.g." → "for example", "i.e." → "that is".
        private mutating func dotted(at i: Int) -> Int? {
            guard tokens[i].text.count == 1, isSymbol(i + 1, "."), let second = token(i + 2), second.kind == .word,
                  second.text.count == 1, isSymbol(i + 3, "."),
                  let words = TextNormalizer.dottedAbbreviations[(tokens[i].text + second.text).lowercased()] else { return nil }
            out.word(words)
            // A capitalized word after "e.g." is usually a name, so only the end
            // of the text or a blank line makes its period a sentence end.
            if token(i + 4).map({ $0.kind == .space && $0.text.contains("\n") }) ?? true { out.text(".") }
            return i + 4
        }

        private mutating func expand(_ abbreviation: Abbreviation, at i: Int) -> Int? {
            let hasPeriod = isSymbol(i + 1, ".")
            let after = hasPeriod ? i + 2 : i + 1
            let nameFollows = isSingleSpace(after) && isCapitalized(after + 1)
            let nameBefore: Bool = {
                guard isSingleSpace(i - 1), let p = token(i - 2) else { return false }
                if p.kind == .number { return true }
                if p.kind == .word && isNumber(i - 3) { return true }  // "5th St."
                return isCapitalized(i - 2) && !startsSentence(i - 2)
            }()
            let keepPeriod = hasPeriod && periodEndsSentence(after)
            /// A reading that comes after a name: its period may also end the sentence.
            func postfix(_ words: String) -> Int {
                out.word(words)
                if keepPeriod { out.text(".") }
                return after
            }
            switch abbreviation {
            case let .title(words):
                guard nameFollows else { return nil }
                out.word(words)
                return after
            case let .postfix(words):
                guard nameBefore else { return nil }
                return postfix(words)
            case let .either(title, postfixWords, fallback):
                if nameFollows && !nameBefore {
                    out.word(title)
                    return after
                }
                if nameBefore { return postfix(postfixWords) }
                if nameFollows {
                    out.word(fallback)
                    return after
                }
                return postfix(fallback)
            case let .plain(words):
                return postfix(words)
            }
        }

        /// "March 3" → "March third", "Jan. 5th, 2024" → "January fifth, twenty twenty four".
        private mutating func month(at i: Int) -> Int? {
            let text = tokens[i].text
            let number: Int
            var after = i + 1
            if let full = TextNormalizer.months.firstIndex(of: text) {
                number = full + 1
            } else if let abbreviated = TextNormalizer.monthAbbreviations[text] {
                number = abbreviated
                if isSymbol(after, ".") { after += 1 }
            } else {
                return nil
            }
            let name = TextNormalizer.months[number - 1]
            guard isSingleSpace(after), let n = token(after + 1), n.kind == .number, let value = UInt64(n.text) else { return nil }
            if n.text.count <= 2 && (1...31).contains(value) {
                var end = after + 2
                if let suffix = token(end), suffix.kind == .word, ["st", "nd", "rd", "th"].contains(suffix.text.lowercased()) {
                    end += 1
                }
                out.word(name + " " + NumberWords.ordinal(value))
                if isSymbol(end, ","), isSingleSpace(end + 1), let y = token(end + 2), y.kind == .number, y.text.count == 4,
                   let year = UInt64(y.text) {
                    out.text(",")
                    out.space(" ")
                    out.word(NumberWords.year(year))
                    return end + 3
                }
                return end
            }
            if n.text.count == 4 && value >= 1000 {
                out.word(name + " " + NumberWords.year(value))
                return after + 2
            }
            return nil
        }

        /// "Henry IV" → "Henry the fourth", "Chapter IV" → "Chapter four".
        /// Only I, V and X (up to 39); a lone "I" is the pronoun and a lone
        /// "X" a letter, except after a counting word ("World War I").
        private mutating func roman(at i: Int) -> Int? {
            var text = Substring(tokens[i].text)
            var possessive = ""
            if text.hasSuffix("'s") {
                text = text.dropLast(2)
                possessive = "'s"
            }
            guard !text.isEmpty, text.allSatisfy({ $0 == "I" || $0 == "V" || $0 == "X" }),
                  let value = NumberWords.romanValue(text), value < 40,
                  let previous = previousWord(i), isCapitalized(i - 2) else { return nil }
            let counting = TextNormalizer.cardinalNumeralContexts.contains(previous.lowercased())
            if (text == "I" || text == "X") && !counting { return nil }
            if !counting && previous.count > 1 && previous == previous.uppercased() { return nil }
            out.word((counting ? NumberWords.cardinal(UInt64(value)) : "the " + NumberWords.ordinal(UInt64(value))) + possessive)
            return i + 1
        }

        // MARK: Symbols

        private mutating func symbol(at i: Int) -> Int {
            let text = tokens[i].text
            guard let scalar = text.unicodeScalars.first else { return i + 1 }
            let atStart = i == 0 || token(i - 1)?.kind == .space || isSymbol(i - 1, "(") || isSymbol(i - 1, "[")

            if let currency = TextNormalizer.currencies[scalar], isNumber(i + 1) {
                let lit = literal(at: i + 1)
                var scale: String?
                var end = lit.end
                if isSingleSpace(end), let w = token(end + 1), w.kind == .word, TextNormalizer.scaleWords.contains(w.text.lowercased()) {
                    scale = w.text.lowercased()
                    end += 2
                } else if let w = token(end), w.kind == .word, ["k", "K", "m", "M", "bn"].contains(w.text) {
                    scale = w.text == "k" || w.text == "K" ? "thousand" : (w.text == "bn" ? "billion" : "million")
                    end += 1
                }
                out.word(money(lit, currency: currency, scale: scale))
                return end
            }
            if (text == "-" || text == "+") && atStart && isNumber(i + 1) {
                out.word(text == "-" ? "minus" : "plus")
                return i + 1
            }
            if text == "." && atStart, let f = token(i + 1), f.kind == .number {
                out.word("point " + NumberWords.spelled(digits: f.text[...]))
                return i + 2
            }
            if text == "#" {
                if isNumber(i + 1) { out.word("number") } else { out.silent() }
                return i + 1
            }
            if text == "'", let n = token(i + 1), n.kind == .number, n.text.count == 2, let v = UInt64(n.text), v % 10 == 0,
               let s = token(i + 2), s.kind == .word, s.text == "s" {
                out.word(NumberWords.decade(v))
                return i + 3
            }
            if text == "%" { out.word("percent"); return i + 1 }
            if text == "°" { out.word("degrees"); return i + 1 }
            if text == "+" { out.word("plus"); return i + 1 }
            if text == "/" {
                if isWord(i - 1) && isWord(i + 1) { out.word("or") } else { out.silent() }
                return i + 1
            }
            if let words = TextNormalizer.symbolWords[scalar] {
                out.word(words)
                return i + 1
            }
            if TextNormalizer.silentSymbols.contains(scalar) {
                out.silent()
                return i + 1
            }
            out.text(text)
            return i + 1
        }
    }
}
