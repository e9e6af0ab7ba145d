/// A byte-level matcher for one tool call in canonical form:
///
///     {"name": "<tool>", "arguments": <args>}<suffix>
///
/// `<args>` is compact JSON for the tool's schema: properties in schema order,
/// `"key": value` joined by ", ", optional ones skippable; strings without
/// control characters, escapes only `\"` and `\\`, at most `maxLength`
/// characters; integers `-?[0-9]{1,10}` without leading zeros and inside the
/// schema's range; numbers with at most 6 decimals; arrays `[a, b]` of at most
/// `maxItems` items. Every prefix the matcher accepts can still be completed,
/// so a decoder masked by it never paints itself into a corner.
///
/// A value type of a few words plus one shared reference, so copies are cheap
/// (the mask copies it at every trie node it walks).
public struct CallGrammar: Sendable {
    private let program: CallProgram
    private var element: Int32
    /// Literal: trie node. String: 0 before the opening quote, 1 in the text,
    /// 2 after a backslash. Array: 0 before `[`/`,`, 1 after it.
    private var node: Int32 = 0
    private var dead = false
    private var stringLength: Int32 = 0
    /// Continuation bytes still owed by the current UTF-8 character, and the
    /// range the next one must fall in (narrower after E0, ED, F0, F4).
    private var utf8Owed: UInt8 = 0
    private var utf8Low: UInt8 = 0x80
    private var utf8High: UInt8 = 0xBF
    private var negative = false
    private var inFraction = false
    private var integerDigits: UInt8 = 0
    private var fractionDigits: UInt8 = 0
    private var integerPart: Int64 = 0
    private var fractionPart: Int64 = 0
    /// Items written so far in each open array, by array nesting level.
    private var itemCounts = SIMD8<UInt8>()

    /// `suffix` closes the call (Qwen2.5: "\n</tool_call>"); at most 64 bytes.
    /// Duplicate tool names and schemas outside `ToolSchema`'s bounds are errors.
    public init(tools: [ToolSpec], suffix: String) throws(RuntimeError) {
        program = try CallProgram(tools: tools, suffix: Array(suffix.utf8))
        element = program.start
        enter(program.start)
    }

    /// The whole call and its suffix have been consumed; nothing more may follow.
    public var isComplete: Bool { !dead && program.isDone(element) }

    /// False once a byte was refused by `step` (never by `advance`).
    public var isAlive: Bool { !dead }

    /// Consumes `byte` if the grammar allows it. On false the state is unchanged.
    @discardableResult
    public mutating func advance(_ byte: UInt8) -> Bool {
        var next = self
        guard next.step(byte) else { return false }
        self = next
        return true
    }

    /// Consumes all of `bytes`, or none of them (returns false).
    @discardableResult
    public mutating func advance(_ bytes: some Sequence<UInt8>) -> Bool {
        var next = self
        for b in bytes where !next.step(b) { return false }
        self = next
        return true
    }

    public func allows(_ byte: UInt8) -> Bool {
        var copy = self
        return copy.step(byte)
    }

    /// Whether `text` is exactly a complete call.
    public func accepts(_ text: String) -> Bool {
        var copy = self
        return copy.advance(text.utf8) && copy.isComplete
    }

    /// Room left when inside a string's text at a character boundary (where any
    /// run of plain characters is allowed), else -1. Lets the mask accept whole
    /// subtrees of plain-text tokens without walking them byte by byte.
    var plainTextRoom: Int32 {
        guard !dead, node == 1, utf8Owed == 0, case let .string(maxLength, _) = program.element(element) else { return -1 }
        return maxLength - stringLength
    }

    /// Consumes `byte`; on false the state is dead (isAlive == false) and every
    /// later step fails. Cheaper than `advance` where the caller already holds a copy.
    @inline(__always)
    mutating func step(_ byte: UInt8) -> Bool {
        if stepOrDie(byte) { return true }
        dead = true
        return false
    }

    private mutating func enter(_ e: Int32) {
        element = e
        node = 0
        switch program.element(e) {
        case let .literal(root): node = root
        case .string:
            stringLength = 0
            utf8Owed = 0
        case .number:
            negative = false
            inFraction = false
            integerDigits = 0
            fractionDigits = 0
            integerPart = 0
            fractionPart = 0
        case .arrayOpen, .arrayAfter, .done, nil: break
        }
    }

    private mutating func stepOrDie(_ b: UInt8) -> Bool {
        // A value without a closing mark (a number, an enum value that is a
        // prefix of another) ends at the first byte it cannot take, which then
        // goes to the next element: a handful of hand-overs at most.
        for _ in 0..<8 {
            guard !dead, let current = program.element(element) else { return false }
            switch current {
            case .done:
                return false
            case .literal:
                if let child = program.child(of: node, byte: b) {
                    node = child
                    if let next = program.terminalLeaf(child) { enter(next) }
                    return true
                }
                guard let next = program.terminal(node) else { return false }
                enter(next)
            case let .string(maxLength, next):
                return stepString(b, maxLength: maxLength, next: next)
            case let .number(range, next):
                if stepNumber(b, range: range) { return true }
                guard canEndNumber(range) else { return false }
                enter(next)
            case let .arrayOpen(spec):
                if node == 0 {
                    guard b == UInt8(ascii: "[") else { return false }
                    node = 1
                    return true
                }
                if b == UInt8(ascii: "]") { enter(spec.next); return true }
                guard spec.maxItems > 0, spec.slot >= 0, spec.slot < 8 else { return false }
                itemCounts[Int(spec.slot)] = 1
                enter(spec.item)
            case let .arrayAfter(spec):
                guard spec.slot >= 0, spec.slot < 8 else { return false }
                let slot = Int(spec.slot)
                if node == 0 {
                    if b == UInt8(ascii: "]") { enter(spec.next); return true }
                    guard b == UInt8(ascii: ","), Int32(itemCounts[slot]) < spec.maxItems else { return false }
                    node = 1
                    return true
                }
                guard b == UInt8(ascii: " ") else { return false }
                itemCounts[slot] &+= 1
                enter(spec.item)
                return true
            }
        }
        return false
    }

    private mutating func stepString(_ b: UInt8, maxLength: Int32, next: Int32) -> Bool {
        switch node {
        case 0:
            guard b == UInt8(ascii: "\"") else { return false }
            node = 1
            return true
        case 2:
            guard b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { return false }
            node = 1
            stringLength += 1
            return true
        default:
            break
        }
        if utf8Owed > 0 {
            guard b >= utf8Low && b <= utf8High else { return false }
            utf8Owed -= 1
            utf8Low = 0x80
            utf8High = 0xBF
            return true
        }
        switch b {
        case UInt8(ascii: "\""):
            enter(next)
            return true
        case 0..<0x20, 0x80...0xC1, 0xF5...0xFF:
            return false
        default:
            break
        }
        guard stringLength < maxLength else { return false }
        if b == UInt8(ascii: "\\") { node = 2; return true }
        stringLength += 1
        // Well-formed UTF-8 only (no overlongs, surrogates or values past U+10FFFF).
        if let lead = UTF8Scalar.wellFormedLead(b) {
            utf8Owed = UInt8(lead.length - 1)
            utf8Low = lead.low
            utf8High = lead.high
        }
        return true
    }

    // MARK: numbers
    // A number's value so far is kept exactly, in units of 10^-fractionDigits of
    // the range (1 for integers, 10^-6 for numbers); a byte is taken only if some
    // completion of the text still lands inside the range.

    private mutating func stepNumber(_ b: UInt8, range: CallProgram.NumberRange) -> Bool {
        var next = self
        switch b {
        case UInt8(ascii: "-"):
            guard integerDigits == 0, !negative else { return false }
            next.negative = true
        case UInt8(ascii: "."):
            guard !range.isInteger, integerDigits > 0, !inFraction else { return false }
            next.inFraction = true
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            let d = Int64(b - UInt8(ascii: "0"))
            if inFraction {
                guard Int(fractionDigits) < ToolSchema.maxFractionDigits else { return false }
                next.fractionPart = fractionPart * 10 + d
                next.fractionDigits += 1
            } else {
                guard Int(integerDigits) < ToolSchema.maxIntegerDigits else { return false }
                guard integerDigits == 0 || integerPart != 0 else { return false }  // no leading zeros
                next.integerPart = integerPart * 10 + d
                next.integerDigits += 1
            }
        default:
            return false
        }
        guard next.numberFeasible(range) else { return false }
        self = next
        return true
    }

    private static let powers: [Int64] = (0...16).reduce(into: []) { p, i in p.append(i == 0 ? 1 : p[i - 1] * 10) }

    private static func power(_ n: Int) -> Int64 { n >= 0 && n < powers.count ? powers[n] : 1 }

    /// The magnitude so far, in the range's units.
    private func scaledMagnitude(_ range: CallProgram.NumberRange) -> Int64 {
        let scale = range.isInteger ? 0 : ToolSchema.maxFractionDigits
        return integerPart * Self.power(scale) + fractionPart * Self.power(scale - Int(fractionDigits))
    }

    private func canEndNumber(_ range: CallProgram.NumberRange) -> Bool {
        guard integerDigits > 0, !inFraction || fractionDigits > 0 else { return false }
        let magnitude = scaledMagnitude(range)
        guard !(negative && magnitude == 0) else { return false }  // no "-0"
        let value = negative ? -magnitude : magnitude
        return value >= range.minimum && value <= range.maximum
    }

    /// Whether some completion of the current text is a value in range.
    private func numberFeasible(_ range: CallProgram.NumberRange) -> Bool {
        let scaleDigits = range.isInteger ? 0 : ToolSchema.maxFractionDigits
        let unit = Self.power(scaleDigits)
        func hits(_ low: Int64, _ high: Int64) -> Bool {
            // [low, high] are magnitudes; a negative number is never zero.
            if negative {
                let l = max(low, 1)
                return l <= high && -l >= range.minimum && -high <= range.maximum
            }
            return low <= range.maximum && high >= range.minimum
        }
        if integerDigits == 0 {
            return hits(0, Self.power(ToolSchema.maxIntegerDigits) * unit - 1)
        }
        if inFraction {
            let low = scaledMagnitude(range)
            return hits(low, low + Self.power(scaleDigits - Int(fractionDigits)) - 1)
        }
        if integerPart == 0 { return hits(0, unit - 1) }
        // More integer digits may follow: each count of them is its own interval.
        for extra in 0...(ToolSchema.maxIntegerDigits - Int(integerDigits)) {
            let p = Self.power(extra)
            if hits(integerPart * p * unit, (integerPart * p + p) * unit - 1) { return true }
        }
        return false
    }
}

/// A call read back from text the grammar accepted (or any JSON of that shape).
public struct ParsedCall: Sendable, Equatable {
    public let name: String
    public let arguments: JSONValue

    public init(name: String, arguments: JSONValue) {
        self.name = name
        self.arguments = arguments
    }

    /// Parses `{"name": …, "arguments": {…}}`, with `suffix` (if present) removed first.
    public init(text: String, suffix: String = "") throws(RuntimeError) {
        var body = Substring(text)
        if !suffix.isEmpty, body.hasSuffix(suffix) { body = body.dropLast(suffix.count) }
        let json: JSONValue
        do { json = try JSONParser.parse(String(body)) } catch {
            throw RuntimeError(.invalidArgument, "tool call: \(error.message)")
        }
        guard let members = json.objectValue, members.count == 2,
              let name = json["name"]?.stringValue, let arguments = json["arguments"], arguments.objectValue != nil
        else { throw RuntimeError(.invalidArgument, "tool call: expected {\"name\": …, \"arguments\": {…}}") }
        self.name = name
        self.arguments = arguments
    }

    /// nil when the call names one of `tools` and its arguments satisfy that tool's schema.
    public func validate(against tools: [ToolSpec]) -> String? {
        guard let tool = tools.first(where: { $0.name == name }) else { return "unknown tool '\(name.prefix(64))'" }
        return tool.parameters.validate(arguments)
    }
}
