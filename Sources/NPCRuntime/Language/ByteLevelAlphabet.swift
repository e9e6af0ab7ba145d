/// GPT-2's reversible byte → character mapping: every byte becomes a printable
/// character so byte-level BPE vocabularies can be stored as text. Printable
/// Latin-1 bytes (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) map to themselves; the other 68
/// bytes map, in order, to U+0100 onward (space becomes `Ġ`, newline `Ċ`).
struct ByteLevelAlphabet: Sendable {
    /// UTF-8 of the character for each byte (1 or 2 bytes).
    let encoded: [[UInt8]]
    /// The byte for each code point below `decodeLimit`, or -1.
    private let decoded: [Int16]
    private static let decodeLimit = 0x100 + 68

    init() {
        var codepoints = [UInt32](repeating: 0, count: 256)
        var extra: UInt32 = 0x100
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if printable {
                codepoints[b] = UInt32(b)
            } else {
                codepoints[b] = extra
                extra += 1
            }
        }
        var decoded = [Int16](repeating: -1, count: Self.decodeLimit)
        var encoded: [[UInt8]] = []
        for b in 0..<256 {
            decoded[Int(codepoints[b])] = Int16(b)
            var utf8: [UInt8] = []
            UTF8Scalar.appendTwoByte(codepoints[b], to: &utf8)
            encoded.append(utf8)
        }
        self.encoded = encoded
        self.decoded = decoded
    }

    /// Appends the byte-level text of raw `bytes`.
    func encode(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        for b in bytes { out.append(contentsOf: encoded[Int(b)]) }
    }

    /// The raw byte a code point stands for, if it is part of the alphabet.
    func byte(for codepoint: UInt32) -> UInt8? {
        guard codepoint < Self.decodeLimit else { return nil }
        let b = decoded[Int(codepoint)]
        return b < 0 ? nil : UInt8(b)
    }
}
