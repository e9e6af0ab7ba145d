import Testing
@testable import NPCRuntime

@Suite struct PreTokenizerTests {
    func words(_ name: String, _ text: String) throws -> [String] {
        let entry = try #require(PreTokenizer.entry(named: name))
        let bytes = Array(text.utf8)
        var ranges: [Range<Int>] = []
        bytes.withUnsafeBufferPointer { PreTokenizer(patterns: entry.patterns).split($0, into: &ranges) }
        return ranges.map { String(decoding: bytes[$0], as: UTF8.self) }
    }

    let sample = "Hello world, it's 2024!  ok\n\nyes"

    @Test func smollmIsolatesDigitsThenSplitsLikeGPT2() throws {
        #expect(try words("smollm", sample) == ["Hello", " world", ",", " it", "'s", " ", "2", "0", "2", "4", "!", " ", " ok",
                                                 "\n", "\n", "yes"])
        // GPT-2's contractions are lower-case only.
        #expect(try words("gpt2", "ABC'S don't") == ["ABC", "'", "S", " don", "'t"])
        #expect(try words("gpt2", "x 123 y") == ["x", " 123", " y"])
    }

    @Test func qwen2SplitsSingleDigitsAndKeepsLineBreakRuns() throws {
        #expect(try words("qwen2", sample) == ["Hello", " world", ",", " it", "'s", " ", "2", "0", "2", "4", "!", " ", " ok",
                                                "\n\n", "yes"])
        #expect(try words("qwen2", "ABC'S") == ["ABC", "'S"])
        // A non-letter before letters joins them; punctuation takes trailing line breaks.
        #expect(try words("qwen2", "\tfoo_bar.\n\n  x") == ["\tfoo", "_bar", ".\n\n", " ", " x"])
        #expect(try words("qwen2", "a  ") == ["a", "  "])
    }

    @Test func llamaBPEGroupsThreeDigits() throws {
        #expect(try words("llama-bpe", "12345 x") == ["123", "45", " x"])
        #expect(try words("llama-bpe", "é\u{301}t 日本語") == ["é", "\u{301}t", " 日本語"])  // a mark is not a letter
    }

    @Test func unicodeClasses() {
        #expect(CodepointClass.of(0x00E9) == .letter)      // é
        #expect(CodepointClass.of(0x0301) == [])           // combining acute: a mark, not a letter
        #expect(CodepointClass.of(0x00B2) == .number)      // superscript two (No)
        #expect(CodepointClass.of(0x2167) == .number)      // Roman numeral eight (Nl)
        #expect(CodepointClass.of(0x00A0) == .whitespace)  // no-break space
        #expect(CodepointClass.of(0x0085) == .whitespace)  // next line
        #expect(CodepointClass.of(0x200B) == [])           // zero-width space is not White_Space
        #expect(CodepointClass.of(0x1F409) == [])          // 🐉
        #expect(CodepointClass.of(0x10FFFF) == [])
    }
}
