import Testing
@testable import NPCRuntime

@Suite struct TextNormalizerTests {
    let normalizer = TextNormalizer()

    func check(_ cases: [(String, String)], sourceLocation: SourceLocation = #_sourceLocation) {
        for (input, expected) in cases {
            #expect(normalizer.normalize(input) == expected, "input: \(input)", sourceLocation: sourceLocation)
        }
    }

    @Test func plainTextIsUntouched() {
        check([
            ("Well met, traveler.", "Well met, traveler."),
            ("Who goes there? Show yourself... or leave.", "Who goes there? Show yourself... or leave."),
            ("I'll pay you, don't worry!", "I'll pay you, don't worry!"),
            ("Ah, the old lighthouse? Nobody has lit that lamp in forty years.",
             "Ah, the old lighthouse? Nobody has lit that lamp in forty years."),
            ("A five-year-old could do it (really).", "A five-year-old could do it (really)."),
            ("Wait — what?", "Wait — what?"),
            ("", ""),
        ])
    }

    @Test func whitespaceQuotesAndEmoji() {
        check([
            ("  Hello   there \t friend  ", "Hello there friend"),
            ("First line\nsecond line", "First line second line"),
            ("One.\n\nTwo.", "One.\n\nTwo."),
            ("It\u{2019}s \u{201C}fine\u{201D}.", "It's \"fine\"."),
            ("Great job! 🎉🔥", "Great job!"),
            ("Thumbs 👍🏽 up", "Thumbs up"),
            ("Family 👨‍👩‍👧 dinner", "Family dinner"),
            ("Flag 🇫🇷 here", "Flag here"),
            ("Really‼", "Really‼"),
        ])
    }

    @Test func cardinals() {
        check([
            ("0", "zero"),
            ("7 wolves", "seven wolves"),
            ("13", "thirteen"),
            ("42", "forty two"),
            ("100", "one hundred"),
            ("101", "one hundred one"),
            ("999", "nine hundred ninety nine"),
            ("1250", "one thousand two hundred fifty"),
            ("1,250", "one thousand two hundred fifty"),
            ("1,000,000", "one million"),
            ("2,500,017", "two million five hundred thousand seventeen"),
            ("12345678901", "twelve billion three hundred forty five million six hundred seventy eight thousand nine hundred one"),
            ("007", "zero zero seven"),
            ("Agent 007.", "Agent zero zero seven."),
        ])
    }

    @Test func negativesAndDecimals() {
        check([
            ("-5 degrees", "minus five degrees"),
            ("It fell to -12.", "It fell to minus twelve."),
            ("3.14", "three point one four"),
            ("0.5", "zero point five"),
            ("1,250.75", "one thousand two hundred fifty point seven five"),
            ("a .5 chance", "a point five chance"),
            ("+5 strength", "plus five strength"),
            ("(-3)", "(minus three)"),
            ("I have 3. Then 4.", "I have three. Then four."),
        ])
    }

    @Test func money() {
        check([
            ("1,250 gold", "one thousand two hundred fifty gold"),
            ("$3.50", "three dollars and fifty cents"),
            ("$1", "one dollar"),
            ("$1.01", "one dollar and one cent"),
            ("$0.25", "twenty five cents"),
            ("$5.00", "five dollars"),
            ("$1,000,000", "one million dollars"),
            ("$3.5 million", "three point five million dollars"),
            ("$5k", "five thousand dollars"),
            ("£20", "twenty pounds"),
            ("£1.50", "one pound and fifty pence"),
            ("€2.99", "two euros and ninety nine cents"),
            ("5€", "five euros"),
            ("50¢", "fifty cents"),
            ("¥500", "five hundred yen"),
            ("5 gp", "five gold pieces"),
            ("1 gp", "one gold piece"),
            ("10sp and 3 cp", "ten silver pieces and three copper pieces"),
            ("It costs $3.50.", "It costs three dollars and fifty cents."),
        ])
    }

    @Test func ordinals() {
        check([
            ("1st", "first"),
            ("2nd", "second"),
            ("3rd", "third"),
            ("4th", "fourth"),
            ("11th", "eleventh"),
            ("12th", "twelfth"),
            ("22nd", "twenty second"),
            ("the 22nd day", "the twenty second day"),
            ("40th", "fortieth"),
            ("101st", "one hundred first"),
            ("1000th", "one thousandth"),
            ("the 5TH gate", "the fifth gate"),
        ])
    }

    @Test func times() {
        check([
            ("3:30", "three thirty"),
            ("at 3:05", "at three oh five"),
            ("3:00", "three o'clock"),
            ("12:00", "twelve o'clock"),
            ("15:00", "fifteen hundred"),
            ("0:45", "zero forty five"),
            ("10pm", "ten p m"),
            ("10 PM", "ten p m"),
            ("7am", "seven a m"),
            ("3:30pm", "three thirty p m"),
            ("10:00 am", "ten a m"),
            ("Meet me at 10 p.m. tonight.", "Meet me at ten p m tonight."),
            ("Meet me at 10 p.m.", "Meet me at ten p m."),
            ("Meet me at 10 p.m. Bring a torch.", "Meet me at ten p m. Bring a torch."),
            ("25:99", "twenty five:ninety nine"),
        ])
    }

    @Test func dates() {
        check([
            ("March 3", "March third"),
            ("March 3rd", "March third"),
            ("March 3, 1999", "March third, nineteen ninety nine"),
            ("Jan. 5, 2024", "January fifth, twenty twenty four"),
            ("Dec 25", "December twenty fifth"),
            ("3 March", "the third of March"),
            ("3/14/2024", "March fourteenth, twenty twenty four"),
            ("14/3/2024", "the fourteenth of March, twenty twenty four"),
            ("2024-03-14", "March fourteenth, twenty twenty four"),
            ("in 1999", "in nineteen ninety nine"),
            ("since 1905", "since nineteen oh five"),
            ("in 1900", "in nineteen hundred"),
            ("in 2005", "in two thousand five"),
            ("in 2000", "in two thousand"),
            ("in 1066", "in ten sixty six"),
            ("March 1999", "March nineteen ninety nine"),
            ("1492 AD", "fourteen ninety two AD"),
            ("the 1990s", "the nineteen nineties"),
            ("the '80s", "the eighties"),
            ("May I help?", "May I help?"),
            ("1500 soldiers", "one thousand five hundred soldiers"),
        ])
    }

    @Test func abbreviations() {
        check([
            ("Mr. Smith", "Mister Smith"),
            ("Mrs. Smith", "Missus Smith"),
            ("Ms. Lane", "Miz Lane"),
            ("Dr. Watson is here.", "Doctor Watson is here."),
            ("Ask Dr. Watson.", "Ask Doctor Watson."),
            ("I live on Elm Dr. now.", "I live on Elm Drive now."),
            ("St. Paul's Cathedral", "Saint Paul's Cathedral"),
            ("Go to Baker St. and wait.", "Go to Baker Street and wait."),
            ("I live on Baker St.", "I live on Baker Street."),
            ("I live on Baker St. Come visit.", "I live on Baker Street. Come visit."),
            ("5th St. is closed", "fifth Street is closed"),
            ("Mt. Ember", "Mount Ember"),
            ("Mr Smith", "Mister Smith"),
            ("St Ives", "Saint Ives"),
            ("John Smith Jr. arrived", "John Smith Junior arrived"),
            ("dragons vs. knights", "dragons versus knights"),
            ("dragons vs knights", "dragons versus knights"),
            ("swords, shields, etc.", "swords, shields, et cetera."),
            ("swords, etc. are sold here", "swords, et cetera are sold here"),
            ("herbs, e.g. mint", "herbs, for example mint"),
            ("the capital, i.e. Ashford", "the capital, that is Ashford"),
            ("No. 5", "number five"),
            ("Lvl. 5 rogues", "Level five rogues"),
            ("Mr. and Mrs. Smith", "Mr. and Missus Smith"),
        ])
    }

    @Test func units() {
        check([
            ("5 km", "five kilometers"),
            ("1 km", "one kilometer"),
            ("3kg", "three kilograms"),
            ("100 m", "one hundred meters"),
            ("6 ft", "six feet"),
            ("1 ft", "one foot"),
            ("200 lbs", "two hundred pounds"),
            ("1 lb", "one pound"),
            ("1.5 km", "one point five kilometers"),
            ("50%", "fifty percent"),
            ("12.5%", "twelve point five percent"),
            ("60 km/h", "sixty kilometers per hour"),
            ("30 mph", "thirty miles per hour"),
            ("20°C", "twenty degrees Celsius"),
            ("1°", "one degree"),
            ("5 min", "five minutes"),
            ("2h", "two hours"),
            ("10k gold", "ten thousand gold"),
            ("3x", "three times"),
            ("5-10 km", "five to ten kilometers"),
        ])
    }

    @Test func fractionsAndRanges() {
        check([
            ("1/2", "one half"),
            ("3/4", "three quarters"),
            ("2/3", "two thirds"),
            ("3/2", "three halves"),
            ("2 1/2 days", "two and one half days"),
            ("2½", "two and one half"),
            ("24/7", "twenty four seven"),
            ("5-10", "five to ten"),
            ("3-2", "three-two"),
            ("½ a loaf", "one half a loaf"),
            ("HP: 50/100", "HP: fifty out of one hundred"),
            ("from 1990-1995", "from nineteen ninety to nineteen ninety five"),
            ("Call 555-1234.", "Call five hundred fifty five-one thousand two hundred thirty four."),
            ("version 1.2.3", "version one point two point three"),
            ("He is 6'2\" tall.", "He is six feet two inches tall."),
        ])
    }

    @Test func romanNumerals() {
        check([
            ("Henry IV", "Henry the fourth"),
            ("Louis XIV ruled.", "Louis the fourteenth ruled."),
            ("Henry VIII's wives", "Henry the eighth's wives"),
            ("Charles V", "Charles the fifth"),
            ("Elizabeth II", "Elizabeth the second"),
            ("Chapter IV", "Chapter four"),
            ("World War II", "World War two"),
            ("World War I", "World War one"),
            ("Part III", "Part three"),
            ("Then I left.", "Then I left."),
            ("Henry I said", "Henry I said"),
            ("Malcolm X", "Malcolm X"),
            ("the IV drip", "the IV drip"),
            ("Washington DC", "Washington DC"),
            ("I am here", "I am here"),
        ])
    }

    @Test func symbols() {
        check([
            ("salt & pepper", "salt and pepper"),
            ("R&D", "R and D"),
            ("2 + 2 = 4", "two plus two equals four"),
            ("#1", "number one"),
            ("#winning", "winning"),
            ("meet @ noon", "meet at noon"),
            ("*sighs* Fine.", "sighs Fine."),
            ("snake_case", "snake case"),
            ("his/her sword", "his or her sword"),
            ("B52", "B fifty two"),
            ("3D", "three D"),
            ("100%!", "one hundred percent!"),
        ])
    }

    @Test func addresses() {
        check([
            ("Visit https://www.example.com/quests/new today.",
             "Visit w w w dot example dot com slash quests slash new today."),
            ("See example.com.", "See example dot com."),
            ("Mail bob.smith@mail.example.org now", "Mail bob dot smith at mail dot example dot org now"),
            ("http://localhost:8080/a?b=c", "localhost colon eight thousand eighty slash a"),
            ("(see parley.dev/docs)", "(see parley dot dev slash docs)"),
            ("file.txt", "file.txt"),
        ])
    }

    @Test func numberWords() {
        #expect(NumberWords.cardinal(UInt64.max) ==
                "eighteen quintillion four hundred forty six quadrillion seven hundred forty four trillion seventy three billion seven hundred nine million five hundred fifty one thousand six hundred fifteen")
        #expect(NumberWords.cardinal(digits: "99999999999999999999") ==
                "nine nine nine nine nine nine nine nine nine nine nine nine nine nine nine nine nine nine nine nine")
        #expect(NumberWords.ordinal(0) == "zeroth")
        #expect(NumberWords.ordinal(1_000_000) == "one millionth")
        #expect(NumberWords.year(2024) == "twenty twenty four")
        #expect(NumberWords.year(2010) == "twenty ten")
        #expect(NumberWords.year(3000) == "three thousand")
        #expect(NumberWords.decade(1900) == "nineteen hundreds")
        #expect(NumberWords.fraction(numerator: 1, denominator: 11) == nil)
        #expect(NumberWords.romanValue("XIV") == 14)
        #expect(NumberWords.romanValue("MCMXCIX") == 1999)
        #expect(NumberWords.romanValue("IIII") == nil)
        #expect(NumberWords.romanValue("VX") == nil)
        #expect(NumberWords.romanValue("IC") == nil)
        #expect(NumberWords.romanValue("ABC") == nil)
    }

    @Test func survivesRandomText() {
        var rng = SplitMix64(seed: 7)
        let alphabet = Array("ab Z0123456789.,:;/-+$£€%°#&@*'\"()?!\n IVX stndrdth km gp pm Mr. St. Dr. 🎉é½".unicodeScalars)
        for _ in 0..<3000 {
            let n = Int(rng.next() % 40)
            var s = String.UnicodeScalarView()
            for _ in 0..<n { s.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
            let once = normalizer.normalize(String(s))
            #expect(!once.hasPrefix(" ") && !once.hasSuffix(" "))
        }
    }
}
