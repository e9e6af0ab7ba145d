// Word lists the normalizer reads (American English).
extension TextNormalizer {
    /// How an abbreviation is read.
    enum Abbreviation {
        /// A title before a name ("Mr. Smith" → "Mister Smith"); needs a
        /// capitalized word after it; its period is never a sentence end.
        case title(String)
        /// After a name or number ("Baker Ave." → "Baker Avenue"); needs its period.
        case postfix(String)
        /// A title before a name, a postfix after one ("St. Paul" → "Saint
        /// Paul", "Baker St." → "Baker Street"), `fallback` otherwise.
        case either(title: String, postfix: String, fallback: String)
        /// Read the same anywhere ("vs." → "versus"); the period is optional.
        case plain(String)
    }

    static let abbreviations: [String: Abbreviation] = [
        "Mr": .title("Mister"), "Mrs": .title("Missus"), "Ms": .title("Miz"), "Mx": .title("Mix"),
        "Prof": .title("Professor"), "Capt": .title("Captain"), "Lt": .title("Lieutenant"),
        "Sgt": .title("Sergeant"), "Col": .title("Colonel"), "Gen": .title("General"), "Rev": .title("Reverend"),
        "Mt": .title("Mount"), "Ft": .title("Fort"),
        "St": .either(title: "Saint", postfix: "Street", fallback: "Street"),
        "Dr": .either(title: "Doctor", postfix: "Drive", fallback: "Doctor"),
        "Jr": .postfix("Junior"), "Sr": .postfix("Senior"), "Ave": .postfix("Avenue"), "Rd": .postfix("Road"),
        "Blvd": .postfix("Boulevard"), "Ln": .postfix("Lane"), "Inc": .postfix("Incorporated"),
        "Ltd": .postfix("Limited"), "Bros": .postfix("Brothers"),
        "vs": .plain("versus"), "Vs": .plain("versus"), "etc": .plain("et cetera"),
        "approx": .plain("approximately"), "Approx": .plain("approximately"),
        "Lvl": .plain("Level"), "lvl": .plain("level"),
    ]

    /// Letters-with-dots abbreviations ("e.g." is read from "eg").
    static let dottedAbbreviations: [String: String] = ["eg": "for example", "ie": "that is"]

    /// Words after which a Roman numeral is a plain number ("Chapter IV" →
    /// "Chapter four"); after other capitalized words it is a regnal number
    /// ("Henry IV" → "Henry the fourth").
    static let cardinalNumeralContexts: Set<String> = [
        "chapter", "part", "book", "act", "scene", "volume", "vol", "phase", "stage", "level", "round", "war",
        "episode", "season", "section", "article", "appendix", "type", "class", "mark", "tier", "rank", "grade",
        "page", "wave", "floor", "circle", "age", "era", "world",
    ]

    /// Words before a four-digit number that make it a year ("in 1999").
    static let yearContexts: Set<String> = ["in", "since", "until", "till", "circa", "year", "from", "during"]

    static let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                         "October", "November", "December"]
    static let monthAbbreviations: [String: Int] = [
        "Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "Jun": 6, "Jul": 7, "Aug": 8, "Sep": 9, "Sept": 9, "Oct": 10,
        "Nov": 11, "Dec": 12,
    ]

    /// A unit after a number: singular and plural reading.
    struct Unit {
        var singular: String
        var plural: String
        init(_ singular: String, _ plural: String) {
            self.singular = singular
            self.plural = plural
        }
    }

    static let units: [String: Unit] = [
        "km": Unit("kilometer", "kilometers"), "m": Unit("meter", "meters"), "cm": Unit("centimeter", "centimeters"),
        "mm": Unit("millimeter", "millimeters"), "mi": Unit("mile", "miles"), "ft": Unit("foot", "feet"),
        "yd": Unit("yard", "yards"), "yds": Unit("yard", "yards"),
        "kg": Unit("kilogram", "kilograms"), "g": Unit("gram", "grams"), "mg": Unit("milligram", "milligrams"),
        "lb": Unit("pound", "pounds"), "lbs": Unit("pound", "pounds"), "oz": Unit("ounce", "ounces"),
        "l": Unit("liter", "liters"), "L": Unit("liter", "liters"), "ml": Unit("milliliter", "milliliters"),
        "mL": Unit("milliliter", "milliliters"),
        "h": Unit("hour", "hours"), "hr": Unit("hour", "hours"), "hrs": Unit("hour", "hours"),
        "min": Unit("minute", "minutes"), "mins": Unit("minute", "minutes"), "s": Unit("second", "seconds"),
        "sec": Unit("second", "seconds"), "secs": Unit("second", "seconds"), "ms": Unit("millisecond", "milliseconds"),
        "mph": Unit("mile per hour", "miles per hour"), "kph": Unit("kilometer per hour", "kilometers per hour"),
        "k": Unit("thousand", "thousand"), "K": Unit("thousand", "thousand"), "x": Unit("times", "times"),
        // Tabletop coins.
        "gp": Unit("gold piece", "gold pieces"), "sp": Unit("silver piece", "silver pieces"),
        "cp": Unit("copper piece", "copper pieces"), "pp": Unit("platinum piece", "platinum pieces"),
        "ep": Unit("electrum piece", "electrum pieces"),
    ]

    /// Currency symbols: major unit, minor unit (nil when there is none).
    static let currencies: [Unicode.Scalar: (major: Unit, minor: Unit?)] = [
        "$": (Unit("dollar", "dollars"), Unit("cent", "cents")),
        "£": (Unit("pound", "pounds"), Unit("penny", "pence")),
        "€": (Unit("euro", "euros"), Unit("cent", "cents")),
        "¥": (Unit("yen", "yen"), nil),
        "₹": (Unit("rupee", "rupees"), Unit("paisa", "paise")),
    ]

    /// Scale words that may follow a money amount ("$3.5 million").
    static let scaleWords: Set<String> = ["thousand", "million", "billion", "trillion"]

    /// Symbols read as words wherever they stand.
    static let symbolWords: [Unicode.Scalar: String] = [
        "&": "and", "@": "at", "=": "equals", "×": "times", "÷": "divided by", "§": "section",
        "½": "one half", "⅓": "one third", "⅔": "two thirds", "¼": "one quarter", "¾": "three quarters",
        "⅛": "one eighth",
    ]

    /// Symbols dropped from speech (emphasis marks, separators).
    static let silentSymbols: Set<Unicode.Scalar> = ["*", "_", "~", "^", "|", "\\", "<", ">", "`", "{", "}"]
}
