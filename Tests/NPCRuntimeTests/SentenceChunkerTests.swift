import Testing
@testable import NPCRuntime

@Suite struct SentenceChunkerTests {
    /// Feeds text in small deltas, as tokens arrive.
    func chunk(_ text: String, delta: Int = 3) -> [String] {
        var c = SentenceChunker()
        var out: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            out += c.feed(String(rest.prefix(delta)))
            rest = rest.dropFirst(delta)
        }
        if let last = c.finish() { out.append(last) }
        return out
    }

    @Test func splitsSentencesOnceTheNextWordStarts() {
        #expect(chunk("Aye. The room is ready! Will you stay?") == ["Aye.", "The room is ready!", "Will you stay?"])
    }

    @Test func keepsNumbersAbbreviationsAndEllipsesTogether() {
        #expect(chunk("It costs 3.5 gold. Ask Mr. Hobb at St. Ives... he knows.") ==
                ["It costs 3.5 gold.", "Ask Mr. Hobb at St. Ives...", "he knows."])
    }

    @Test func firstPieceMayEndAtALongClause() {
        #expect(chunk("Well now, traveller from the north, you look tired, sit down.") ==
                ["Well now, traveller from the north,", "you look tired, sit down."])
    }

    @Test func firstPieceMayEndAtAShortClause() {
        #expect(chunk("That's a local, a former sailor. He drinks here.") == ["That's a local,", "a former sailor.", "He drinks here."])
        // Two words are too short a piece to sound natural on its own.
        #expect(chunk("Well now, sit down. Rest.") == ["Well now, sit down.", "Rest."])
    }

    @Test func longFirstSentenceBreaksBeforeAClauseOpener() {
        #expect(chunk("That man over there is a former sailor who used to work at the docks. Ask him.") ==
                ["That man over there is a former sailor", "who used to work at the docks.", "Ask him."])
        // Only the first piece: later sentences stay whole.
        #expect(chunk("Aye. That man over there is a former sailor who used to work at the docks.") ==
                ["Aye.", "That man over there is a former sailor who used to work at the docks."])
        // A word that merely starts with an opener ("andirons", "android") is not one.
        #expect(chunk("The tall fisherman sold andirons and nets for years.") ==
                ["The tall fisherman sold andirons", "and nets for years."])
    }

    @Test func longFirstSentenceBreaksBeforeAPhrase() {
        #expect(chunk("The smuggler Black Tam drinks here on Tuesdays.") == ["The smuggler Black Tam drinks here", "on Tuesdays."])
        #expect(chunk("The lighthouse went dark forty years ago.") == ["The lighthouse went dark", "forty years ago."])
        #expect(chunk("The old man by the door paid 12 silver.") == ["The old man by the door paid", "12 silver."])
        // A count is known to open a phrase as soon as it arrives.
        var c = SentenceChunker()
        #expect(c.feed("The lighthouse went dark forty") == ["The lighthouse went dark"])
        #expect(c.feed(" years ago. It") == ["forty years ago."])
        // Not before four words, and not before "to" or "of".
        #expect(chunk("He sat in the corner.") == ["He sat in the corner."])
        #expect(chunk("I would really like to stay a cup of tea longer.") == ["I would really like to stay a cup of tea longer."])
    }

    @Test func sameResultForEveryDeltaSize() {
        let text = "Good evening! The lighthouse went dark forty years ago, they say. Nobody knows why? " +
            "That sailor at the bar is a man who knows the sea, and more."
        let whole = chunk(text, delta: text.count)
        for d in 1...7 { #expect(chunk(text, delta: d) == whole, "delta \(d)") }
    }
}
