/// The decoder stage: a token's bytes of output text ("piece"), as llama.cpp's
/// `token_to_piece`. Control and unknown tokens render their text only when
/// asked; user-defined tokens always render their text; normal tokens are
/// un-escaped (byte-level alphabet → bytes, or `▁` → space); byte tokens give
/// their byte; unused and undefined tokens render nothing.
struct PieceDecoder: Sendable {
    enum Style: Sendable {
        case byteLevel(ByteLevelAlphabet)
        case sentencePiece
    }

    let style: Style

    func appendPiece(_ id: Int32, vocabulary: Vocabulary, renderSpecial: Bool, stripLeadingSpace: Bool,
                     into out: inout [UInt8]) {
        guard vocabulary.contains(id) else { return }
        let attributes = vocabulary.attributes[Int(id)]
        let text = vocabulary.text(id)
        let start = out.count
        if !attributes.isDisjoint(with: TokenAttributes.special) {
            guard renderSpecial else { return }
            out.append(contentsOf: text)
        } else if attributes.contains(.userDefined) {
            out.append(contentsOf: text)
        } else if attributes.contains(.normal) {
            switch style {
            case let .byteLevel(alphabet): Self.appendByteLevel(text, alphabet: alphabet, into: &out)
            case .sentencePiece: Self.appendUnescaped(text, into: &out)
            }
        } else if attributes.contains(.byte) {
            out.append(Self.byteValue(text))
        }
        if stripLeadingSpace && out.count > start && out[start] == 0x20 { out.remove(at: start) }
    }

    /// `▁` (U+2581) back to space.
    private static func appendUnescaped(_ text: ArraySlice<UInt8>, into out: inout [UInt8]) {
        var i = text.startIndex
        while i < text.endIndex {
            if text[i] == 0xE2 && i + 2 < text.endIndex && text[i + 1] == 0x96 && text[i + 2] == 0x81 {
                out.append(0x20)
                i += 3
            } else {
                out.append(text[i])
                i += 1
            }
        }
    }

    /// Byte-level characters back to bytes; a character outside the alphabet is
    /// written out as llama.cpp does (`[UNK_BYTE_0x…<token>]`).
    private static func appendByteLevel(_ text: ArraySlice<UInt8>, alphabet: ByteLevelAlphabet, into out: inout [UInt8]) {
        let bytes = Array(text)
        bytes.withUnsafeBufferPointer { buffer in
            var i = 0
            while i < buffer.count {
                let (value, length) = UTF8Scalar.decode(buffer, at: i)
                if let b = alphabet.byte(for: value) {
                    out.append(b)
                } else {
                    out.append(contentsOf: "[UNK_BYTE_0x".utf8)
                    for b in buffer[i..<i + length] { out.append(contentsOf: hex(b)) }
                    out.append(contentsOf: bytes)
                    out.append(0x5D)
                }
                i += length
            }
        }
    }

    private static func hex(_ b: UInt8) -> [UInt8] {
        let digits = Array("0123456789abcdef".utf8)
        return [digits[Int(b >> 4)], digits[Int(b & 15)]]
    }

    /// The value of a `<0xNN>` token (hex digits read as far as they go, like strtol).
    static func byteValue(_ text: ArraySlice<UInt8>) -> UInt8 {
        var value: UInt8 = 0
        for i in 3..<5 {
            let index = text.startIndex + i
            guard index < text.endIndex else { break }
            let c = text[index]
            let digit: UInt8
            switch c {
            case 0x30...0x39: digit = c - 0x30
            case 0x41...0x46: digit = c - 0x41 + 10
            case 0x61...0x66: digit = c - 0x61 + 10
            default: return value
            }
            value = value << 4 | digit
        }
        return value
    }

    /// llama.cpp's clean_up_tokenization_spaces: drop the space before `?!.,`,
    /// around a lone `'`, and before `'s`, `'m`, `'re`, `'ve`.
    static func cleanSpaces(_ t: inout [UInt8]) {
        let space: UInt8 = 0x20, quote: UInt8 = 0x27
        // first pass: " ?", " !", " .", " ,"
        var total = t.isEmpty ? 0 : 1
        for i in 1..<max(1, t.count) {
            let x = t[i]
            if t[i - 1] == space && (x == 0x3F || x == 0x21 || x == 0x2E || x == 0x2C) { total -= 1 }
            t[total] = x
            total += 1
        }
        t.removeSubrange(total...)
        // second pass: " ' " → "'"
        let total2 = t.count
        total = total2 == 0 ? 0 : 1
        var i = 1
        while i < total2 {
            let x = t[i]
            if x == quote && i + 1 < total2 && t[i - 1] == space && t[i + 1] == space {
                total -= 1
                i += 1
                t[i] = 0
            }
            t[total] = x
            total += 1
            i += 1
        }
        t.removeSubrange(total...)
        // third pass: " 's", " 'm", " 're", " 've"
        let total3 = t.count
        total = total3 == 0 ? 0 : 1
        for i in 1..<max(1, total3) {
            let x = t[i]
            if t[i - 1] == space && x == quote && i + 1 < total3 {
                let x1 = t[i + 1]
                if x1 == 0x73 || x1 == 0x6D {
                    total -= 1
                } else if i + 2 < total3 {
                    let x2 = t[i + 2]
                    if (x1 == 0x72 && x2 == 0x65) || (x1 == 0x76 && x2 == 0x65) { total -= 1 }
                }
            }
            t[total] = x
            total += 1
        }
        t.removeSubrange(total...)
    }
}
