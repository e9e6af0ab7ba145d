/// Small UTF-8 helpers on raw bytes (text arrives as bytes split at token boundaries).
enum UTF8Scalar {
    /// Sequence length announced by a lead byte (1 for ASCII and for stray
    /// continuation bytes, as llama.cpp's `unicode_len_utf8`).
    @inline(__always)
    static func sequenceLength(lead: UInt8) -> Int {
        switch lead >> 4 {
        case 0xC, 0xD: return 2
        case 0xE: return 3
        case 0xF: return 4
        default: return 1
        }
    }

    /// For a lead byte of well-formed UTF-8 (no overlongs, surrogates or values
    /// past U+10FFFF): the sequence length and the allowed range of the second
    /// byte (later continuation bytes are 0x80…0xBF). nil for ASCII, continuation
    /// bytes and bytes that never start a sequence.
    static func wellFormedLead(_ lead: UInt8) -> (length: Int, low: UInt8, high: UInt8)? {
        switch lead {
        case 0xC2...0xDF: return (2, 0x80, 0xBF)
        case 0xE0: return (3, 0xA0, 0xBF)
        case 0xED: return (3, 0x80, 0x9F)
        case 0xE1...0xEF: return (3, 0x80, 0xBF)
        case 0xF0: return (4, 0x90, 0xBF)
        case 0xF4: return (4, 0x80, 0x8F)
        case 0xF1...0xF3: return (4, 0x80, 0xBF)
        default: return nil
        }
    }

    /// The code point at `i` and its length in bytes; a malformed sequence yields
    /// U+FFFD and consumes one byte.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> (UInt32, Int) {
        let b0 = bytes[i]
        if b0 < 0x80 { return (UInt32(b0), 1) }
        let n = sequenceLength(lead: b0)
        guard n > 1, i + n <= bytes.count else { return (0xFFFD, 1) }
        var value = UInt32(b0) & (0x7F >> UInt32(n))
        for k in 1..<n {
            let b = bytes[i + k]
            guard b & 0xC0 == 0x80 else { return (0xFFFD, 1) }
            value = value << 6 | UInt32(b & 0x3F)
        }
        return (value, n)
    }

    /// Appends the UTF-8 encoding of a code point below U+0800 (enough for the byte-level alphabet).
    static func appendTwoByte(_ value: UInt32, to out: inout [UInt8]) {
        if value < 0x80 {
            out.append(UInt8(value))
        } else {
            out.append(UInt8(0xC0 | (value >> 6)))
            out.append(UInt8(0x80 | (value & 0x3F)))
        }
    }

    /// Length of the longest prefix of `bytes` that does not end inside a
    /// character that later bytes could still complete.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        // A character is at most 4 bytes: only the last 3 can be an unfinished one.
        var i = n - 1
        while i >= 0 && i >= n - 3 {
            let b = bytes[i]
            if b & 0xC0 != 0x80 {
                let need = b >= 0xC0 ? sequenceLength(lead: b) : 1
                return need > n - i ? i : n
            }
            i -= 1
        }
        return n
    }
}
