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

    @Test func sameResultForEveryDeltaSize() {
        let text = "Good evening! The lighthouse went dark forty years ago, they say. Nobody knows why?"
        let whole = chunk(text, delta: text.count)
        for d in 1...7 { #expect(chunk(text, delta: d) == whole, "delta \(d)") }
    }
}
