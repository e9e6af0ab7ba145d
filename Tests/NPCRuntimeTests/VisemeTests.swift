import Testing
@testable import NPCRuntime

@Suite struct VisemeTests {
    /// Reference case 0 ("Well met, traveler."): Piper's phonemes and the model's frames per id (cases.json).
    static let phonemes = "wˈɛl mˈɛt, tɹˈævəlɚ."
    static let framesPerID = [2, 2, 2, 2, 3, 2, 2, 2, 1, 1, 2, 3, 1, 3, 2, 2, 3, 2, 3, 5, 9, 3, 4, 2, 2, 1, 1, 3,
                              3, 3, 2, 1, 3, 2, 4, 3, 2, 2, 5, 3, 3, 9, 5]

    /// Spans as the voice's mapper makes them: every scalar gets one id (the value does not matter here).
    static func spans(_ phonemes: String) throws -> PhonemeIDMapper.Result {
        var map: [String: [Int]] = ["_": [0], "^": [1], "$": [2]]
        for (i, s) in phonemes.unicodeScalars.enumerated() { map[String(s)] = [3 + i] }
        return try PhonemeIDMapper(phonemeIDMap: map).ids(for: phonemes)
    }

    @Test func referenceCaseZeroTimeline() throws {
        let mapped = try Self.spans(Self.phonemes)
        #expect(mapped.ids.count == Self.framesPerID.count)
        let track = VisemeTimeline.spans(framesPerID: Self.framesPerID, phonemes: mapped.spans, hopLength: 256)
        // In frames: ^ _ | w | ˈɛ | l␣ | m | ˈɛ | t | ,␣ | t | ɹ | ˈæ | v | ə | l | ɚ | . $
        let expected: [(Viseme, Int, Int)] = [
            (.sil, 0, 4), (.ou, 4, 8), (.E, 8, 17), (.nn, 17, 24), (.PP, 24, 28), (.E, 28, 37), (.DD, 37, 45),
            (.sil, 45, 63), (.DD, 63, 66), (.RR, 66, 70), (.aa, 70, 79), (.FF, 79, 84), (.aa, 84, 91),
            (.nn, 91, 95), (.RR, 95, 103), (.sil, 103, 120),
        ]
        #expect(track == expected.map { VisemeSpan(viseme: $0.0, start: $0.1 * 256, end: $0.2 * 256) })
        // The first shaped span starts where the first phoneme's ids start (after ^ and its pad).
        #expect(track.first { $0.viseme != .sil }?.start == (Self.framesPerID[0] + Self.framesPerID[1]) * 256)
        #expect(track.last?.end == 30720)
    }

    @Test func referenceCaseZeroAgainstCasesJSON() throws {
        let path = TestPaths.referenceFile("vits/cases.json")
        guard TestPaths.hasReference("vits/cases.json") else { return }
        let root = try #require(TestPaths.loadJSON(path) as? [String: Any])
        let first = try #require((root["cases"] as? [[String: Any]])?.first)
        #expect(first["phonemes"] as? String == Self.phonemes)
        #expect(first["frames_per_id"] as? [Int] == Self.framesPerID)
        #expect(first["n_samples"] as? Int == Self.framesPerID.reduce(0, +) * 256)
    }

    @Test func roles() {
        #expect(Viseme.role(of: "p") == .shape(.PP))
        #expect(Viseme.role(of: "ð") == .shape(.TH))
        #expect(Viseme.role(of: "ɡ") == .shape(.kk))
        #expect(Viseme.role(of: "ʃ") == .shape(.CH))
        #expect(Viseme.role(of: "ɚ") == .shape(.RR))
        #expect(Viseme.role(of: "ɑ") == .shape(.aa))
        #expect(Viseme.role(of: "ɪ") == .shape(.ih))
        #expect(Viseme.role(of: "ɔ") == .shape(.oh))
        #expect(Viseme.role(of: "ʊ") == .shape(.ou))
        #expect(Viseme.role(of: "ˈ") == .next)
        #expect(Viseme.role(of: "ː") == .previous)
        #expect(Viseme.role(of: "ʲ") == .previous)
        #expect(Viseme.role(of: "\u{303}") == .previous)  // combining tilde
        #expect(Viseme.role(of: " ") == .previous)
        for p: Unicode.Scalar in [",", ".", "?", "!", ";", ":", "…", "—"] { #expect(Viseme.role(of: p) == .shape(.sil), "\(p)") }
        #expect(Viseme.allCases.count == 15)
    }

    @Test func lengthMarksHoldAndDiphthongsSplit() throws {
        // "ʃˈoʊ jɔːɹ": ʃ | ˈo | ʊ␣ | j | ɔː | ɹ, every id one frame
        let mapped = try Self.spans("ʃˈoʊ jɔːɹ")
        let track = VisemeTimeline.spans(framesPerID: [Int](repeating: 1, count: mapped.ids.count), phonemes: mapped.spans, hopLength: 10)
        #expect(track.map(\.viseme) == [.sil, .CH, .oh, .ou, .ih, .oh, .RR, .sil])
        #expect(track.map { $0.end - $0.start } == [20, 20, 40, 40, 20, 40, 20, 10])
    }

    @Test func bareIDsAreOneSilence() {
        let track = VisemeTimeline.spans(framesPerID: [1, 2, 3], phonemes: [], hopLength: 256)
        #expect(track == [VisemeSpan(viseme: .sil, start: 0, end: 1536)])
        #expect(VisemeTimeline.spans(framesPerID: [], phonemes: [], hopLength: 256).isEmpty)
    }

    @Test func tracksAlwaysCoverTheAudio() throws {
        var rng = SplitMix64(seed: 11)
        let alphabet = Array("pbmfvθðtdkɡʃsznlɹaɛɪoʊəˈˌː ,.?".unicodeScalars)
        for _ in 0..<200 {
            let text = String(String.UnicodeScalarView((0..<Int(rng.next() % 30)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }))
            let mapped = try Self.spans(text)
            let frames = mapped.ids.map { _ in Int(rng.next() % 5) }  // zero-length ids included
            let track = VisemeTimeline.spans(framesPerID: frames, phonemes: mapped.spans, hopLength: 256)
            let total = frames.reduce(0, +) * 256
            #expect(track.first?.start ?? 0 == 0)
            #expect(track.last?.end ?? 0 == total)
            for (a, b) in zip(track, track.dropFirst()) {
                #expect(a.end == b.start && a.viseme != b.viseme)
            }
            #expect(track.allSatisfy { $0.end > $0.start })
        }
    }

    @Test func overlappingOrOutOfRangeSpansAreIgnored() {
        let spans: [PhonemeIDMapper.Span] = [.init(phoneme: "p", ids: 2..<4), .init(phoneme: "a", ids: 3..<5), .init(phoneme: "s", ids: 5..<9)]
        let track = VisemeTimeline.spans(framesPerID: [1, 1, 1, 1, 1, 1], phonemes: spans, hopLength: 1)
        #expect(track == [VisemeSpan(viseme: .sil, start: 0, end: 2), VisemeSpan(viseme: .PP, start: 2, end: 4), VisemeSpan(viseme: .sil, start: 4, end: 6)])
    }
}
