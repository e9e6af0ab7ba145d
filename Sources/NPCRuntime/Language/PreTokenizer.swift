/// Splits text into the words a byte-level BPE merges within, reproducing the
/// regular expressions of each `tokenizer.ggml.pre` the way llama.cpp applies
/// them: a list of patterns, each one splitting every piece the previous one
/// produced, and text a pattern does not match kept as a piece of its own.
struct PreTokenizer: Sendable {
    /// One pattern of the list.
    enum Pattern: Sendable, Equatable {
        /// `\p{N}`: every number character is a piece on its own.
        case isolateDigits
        /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
        case gpt2
        /// Llama 3 / Qwen 2: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,max}|
        /// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
        case llama3(maxDigits: Int)
    }

    /// A named pre-tokenizer and the detokenizer flags llama.cpp ties to it.
    struct Entry: Sendable {
        let names: [String]
        let patterns: [Pattern]
        /// Post-process decoded text like HF's clean_up_tokenization_spaces.
        let cleanSpaces: Bool
        /// A word that is itself a vocabulary entry is emitted whole, before merging.
        let ignoreMerges: Bool
        /// Default for add_bos when the GGUF does not say.
        let addBOS: Bool
    }

    static let table: [Entry] = [
        Entry(names: ["gpt2", "gpt-2"], patterns: [.gpt2], cleanSpaces: true, ignoreMerges: false, addBOS: false),
        Entry(names: ["smollm"], patterns: [.isolateDigits, .gpt2], cleanSpaces: false, ignoreMerges: false, addBOS: false),
        Entry(names: ["qwen2"], patterns: [.llama3(maxDigits: 1)], cleanSpaces: false, ignoreMerges: false, addBOS: false),
        Entry(names: ["llama-bpe", "llama3", "llama-v3"], patterns: [.llama3(maxDigits: 3)],
              cleanSpaces: true, ignoreMerges: true, addBOS: true),
    ]

    static func entry(named name: String) -> Entry? {
        table.first { $0.names.contains(name) }
    }

    let patterns: [Pattern]

    /// Appends the words of `text` as byte ranges of it.
    func split(_ text: UnsafeBufferPointer<UInt8>, into words: inout [Range<Int>]) {
        var scalars = Scalars(text)
        var pieces: [Range<Int>] = [0..<scalars.count]
        var next: [Range<Int>] = []
        for pattern in patterns {
            next.removeAll(keepingCapacity: true)
            for piece in pieces where !piece.isEmpty {
                switch pattern {
                case .isolateDigits: Self.isolateDigits(&scalars, piece, &next)
                case .gpt2: Self.gpt2(&scalars, piece, &next)
                case let .llama3(maxDigits): Self.llama3(&scalars, piece, maxDigits, &next)
                }
            }
            swap(&pieces, &next)
        }
        for piece in pieces where !piece.isEmpty {
            words.append(scalars.byteOffsets[piece.lowerBound]..<scalars.byteOffsets[piece.upperBound])
        }
    }

    /// Code points of the text with their classes and byte offsets.
    struct Scalars {
        var values: [UInt32] = []
        var classes: [CodepointClass] = []
        /// count + 1 entries: where each code point starts, then the text length.
        var byteOffsets: [Int] = []
        var count: Int { values.count }

        init(_ text: UnsafeBufferPointer<UInt8>) {
            values.reserveCapacity(text.count)
            classes.reserveCapacity(text.count)
            byteOffsets.reserveCapacity(text.count + 1)
            var i = 0
            while i < text.count {
                let (value, length) = UTF8Scalar.decode(text, at: i)
                values.append(value)
                classes.append(CodepointClass.of(value))
                byteOffsets.append(i)
                i += length
            }
            byteOffsets.append(text.count)
        }
    }

    // MARK: patterns

    private static func isolateDigits(_ s: inout Scalars, _ piece: Range<Int>, _ out: inout [Range<Int>]) {
        var runStart = piece.lowerBound
        for i in piece where s.classes[i].contains(.number) {
            if runStart < i { out.append(runStart..<i) }
            out.append(i..<i + 1)
            runStart = i + 1
        }
        if runStart < piece.upperBound { out.append(runStart..<piece.upperBound) }
    }

    /// The contraction at `pos` (`'s`, `'t`, `'re`, `'ve`, `'m`, `'ll`, `'d`), as its length.
    private static func contraction(_ s: Scalars, _ pos: Int, _ end: Int, caseInsensitive: Bool) -> Int? {
        guard s.values[pos] == 0x27, pos + 1 < end else { return nil }
        func lower(_ v: UInt32) -> UInt32 { caseInsensitive && v >= 0x41 && v <= 0x5A ? v + 0x20 : v }
        let c1 = lower(s.values[pos + 1])
        if c1 == 0x73 || c1 == 0x74 || c1 == 0x6D || c1 == 0x64 { return 2 }  // s t m d
        guard pos + 2 < end else { return nil }
        let c2 = lower(s.values[pos + 2])
        if (c1 == 0x72 && c2 == 0x65) || (c1 == 0x76 && c2 == 0x65) || (c1 == 0x6C && c2 == 0x6C) { return 3 }  // re ve ll
        return nil
    }

    private static func gpt2(_ s: inout Scalars, _ piece: Range<Int>, _ out: inout [Range<Int>]) {
        let end = piece.upperBound
        func cls(_ i: Int) -> CodepointClass? { i < end ? s.classes[i] : nil }
        let wordClasses: CodepointClass = [.letter, .number, .whitespace]
        var pos = piece.lowerBound
        while pos < end {
            let start = pos
            if let n = contraction(s, pos, end, caseInsensitive: false) {
                pos += n
                out.append(start..<pos)
                continue
            }
            let space = s.values[pos] == 0x20 ? 1 : 0
            let ahead = cls(pos + space)
            if let ahead, ahead.contains(.letter) {
                // ` ?\p{L}+`
                pos += space
                while cls(pos)?.contains(.letter) == true { pos += 1 }
            } else if let ahead, ahead.contains(.number) {
                // ` ?\p{N}+`
                pos += space
                while cls(pos)?.contains(.number) == true { pos += 1 }
            } else if let ahead, ahead.isDisjoint(with: wordClasses) {
                // ` ?[^\s\p{L}\p{N}]+`
                pos += space
                while let c = cls(pos), c.isDisjoint(with: wordClasses) { pos += 1 }
            } else {
                var n = 0
                while cls(pos + n)?.contains(.whitespace) == true { n += 1 }
                if n > 1 && pos + n < end {
                    pos += n - 1  // `\s+(?!\S)`: leave the last space to the word after it
                } else if n > 0 {
                    pos += n
                } else {
                    pos += 1
                }
            }
            out.append(start..<pos)
        }
    }

    private static func llama3(_ s: inout Scalars, _ piece: Range<Int>, _ maxDigits: Int, _ out: inout [Range<Int>]) {
        let end = piece.upperBound
        func cls(_ i: Int) -> CodepointClass? { i < end ? s.classes[i] : nil }
        func isLineBreak(_ i: Int) -> Bool { i < end && (s.values[i] == 0x0A || s.values[i] == 0x0D) }
        let wordClasses: CodepointClass = [.letter, .number, .whitespace]
        var pos = piece.lowerBound
        while pos < end {
            let start = pos
            let c = s.classes[pos]
            if let n = contraction(s, pos, end, caseInsensitive: true) {
                pos += n
                out.append(start..<pos)
                continue
            }
            // `[^\r\n\p{L}\p{N}]?\p{L}+`
            if !isLineBreak(pos) && !c.contains(.number)
                && (c.contains(.letter) || cls(pos + 1)?.contains(.letter) == true) {
                pos += 1
                while cls(pos)?.contains(.letter) == true { pos += 1 }
                out.append(start..<pos)
                continue
            }
            // `\p{N}{1,maxDigits}`
            if c.contains(.number) {
                var groupStart = pos
                while cls(pos)?.contains(.number) == true {
                    pos += 1
                    if pos - groupStart >= maxDigits {
                        out.append(groupStart..<pos)
                        groupStart = pos
                    }
                }
                if groupStart < pos { out.append(groupStart..<pos) }
                continue
            }
            // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
            let space = s.values[pos] == 0x20 ? 1 : 0
            if cls(pos + space)?.isDisjoint(with: wordClasses) ?? true {
                pos += space
                while let k = cls(pos), k.isDisjoint(with: wordClasses) { pos += 1 }
                while isLineBreak(pos) { pos += 1 }
                out.append(start..<pos)
                continue
            }
            var n = 0
            var afterLastLineBreak = 0
            while cls(pos + n)?.contains(.whitespace) == true {
                if isLineBreak(pos + n) { afterLastLineBreak = pos + n + 1 }
                n += 1
            }
            if afterLastLineBreak > 0 {
                pos = afterLastLineBreak  // `\s*[\r\n]+`
            } else if n > 1 && pos + n < end {
                pos += n - 1  // `\s+(?!\S)`
            } else if n > 0 {
                pos += n  // `\s+`
            } else {
                pos += 1
            }
            out.append(start..<pos)
        }
    }
}
