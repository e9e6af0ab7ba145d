/// The classes the pre-tokenizer patterns test: `\p{L}` (general category L*),
/// `\p{N}` (N*) and `\s` (the White_Space property, which includes U+0085 and
/// the no-break spaces). Every other code point, assigned or not, is "other".
struct CodepointClass: OptionSet, Sendable {
    let rawValue: UInt8

    static let letter = CodepointClass(rawValue: 1)
    static let number = CodepointClass(rawValue: 2)
    static let whitespace = CodepointClass(rawValue: 4)

    static func of(_ value: UInt32) -> CodepointClass {
        if value < 0x80 {
            switch value {
            case 0x41...0x5A, 0x61...0x7A: return .letter
            case 0x30...0x39: return .number
            case 0x09...0x0D, 0x20: return .whitespace
            default: return []
            }
        }
        guard let scalar = Unicode.Scalar(value) else { return [] }
        var c: CodepointClass = []
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            c.insert(.letter)
        case .decimalNumber, .letterNumber, .otherNumber:
            c.insert(.number)
        default:
            break
        }
        if scalar.properties.isWhitespace { c.insert(.whitespace) }
        return c
    }
}
