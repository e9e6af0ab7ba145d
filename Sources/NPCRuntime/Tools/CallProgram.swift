/// The compiled form of a `CallGrammar`: a flat list of elements, each a fixed
/// position in the call text. Schemas have no recursion, so every value has
/// one known successor and matching needs no stack, only array item counters
/// (one per array nesting level). Immutable, shared by all grammar copies.
final class CallProgram: Sendable {
    struct NumberRange: Sendable {
        let isInteger: Bool
        /// Bounds in units of 1 (integers) or 10^-6 (numbers).
        let minimum: Int64
        let maximum: Int64
    }

    struct ArraySpec: Sendable {
        let slot: Int32
        let maxItems: Int32
        let item: Int32
        let next: Int32
    }

    enum Element: Sendable {
        /// One of a set of fixed texts (punctuation, keys, tool names, enum values),
        /// matched through a byte trie whose leaves lead to the next element.
        case literal(root: Int32)
        case string(maxLength: Int32, next: Int32)
        case number(NumberRange, next: Int32)
        /// `[` then `]` or the first item.
        case arrayOpen(ArraySpec)
        /// After an item: `, ` and another item, or `]`.
        case arrayAfter(ArraySpec)
        case done
    }

    let elements: [Element]
    let start: Int32
    // Literal tries, flattened: node i's edges are edgeBytes/edgeTargets[edgeStart[i]..<edgeStart[i] + edgeCount[i]].
    private let edgeStart: [Int32]
    private let edgeCount: [Int32]
    private let edgeBytes: [UInt8]
    private let edgeTargets: [Int32]
    /// Element a node's text leads to, or -1.
    private let terminals: [Int32]

    static let maxTools = 64
    static let maxSuffixBytes = 64

    init(tools: [ToolSpec], suffix: [UInt8]) throws(RuntimeError) {
        guard !tools.isEmpty else { throw RuntimeError(.invalidArgument, "a call grammar needs at least one tool") }
        guard tools.count <= Self.maxTools else {
            throw RuntimeError(.invalidArgument, "\(tools.count) tools (limit \(Self.maxTools))")
        }
        guard suffix.count <= Self.maxSuffixBytes else {
            throw RuntimeError(.invalidArgument, "call suffix is \(suffix.count) bytes (limit \(Self.maxSuffixBytes))")
        }
        var builder = Builder()
        let done = builder.add(.done)
        var calls: [([UInt8], Int32)] = []
        for tool in tools {
            guard !calls.contains(where: { $0.0 == Builder.callHead(tool.name) }) else {
                throw RuntimeError(.invalidArgument, "duplicate tool name '\(tool.name)'")
            }
            let closing = builder.literal([(Array("}".utf8) + suffix, done)])
            guard case .object = tool.parameters else {
                throw RuntimeError(.invalidArgument, "tool \(tool.name): parameters must be an object schema")
            }
            let arguments = try builder.compile(tool.parameters, next: closing, path: "tool \(tool.name): parameters",
                                                depth: 1, arraySlot: 0)
            calls.append((Builder.callHead(tool.name), arguments))
        }
        start = builder.literal(calls)
        elements = builder.elements
        var starts: [Int32] = []
        var counts: [Int32] = []
        var bytes: [UInt8] = []
        var targets: [Int32] = []
        for children in builder.children {
            starts.append(Int32(bytes.count))
            counts.append(Int32(children.count))
            for (b, t) in children { bytes.append(b); targets.append(t) }
        }
        edgeStart = starts
        edgeCount = counts
        edgeBytes = bytes
        edgeTargets = targets
        terminals = builder.terminals
    }

    @inline(__always)
    func element(_ e: Int32) -> Element? {
        e >= 0 && Int(e) < elements.count ? elements[Int(e)] : nil
    }

    func isDone(_ e: Int32) -> Bool {
        if case .done? = element(e) { return true }
        return false
    }

    @inline(__always)
    func child(of node: Int32, byte: UInt8) -> Int32? {
        guard node >= 0, Int(node) < edgeStart.count else { return nil }
        let first = Int(edgeStart[Int(node)])
        for i in first..<first + Int(edgeCount[Int(node)]) where edgeBytes[i] == byte { return edgeTargets[i] }
        return nil
    }

    @inline(__always)
    func terminal(_ node: Int32) -> Int32? {
        guard node >= 0, Int(node) < terminals.count, terminals[Int(node)] >= 0 else { return nil }
        return terminals[Int(node)]
    }

    /// The next element if `node` ends a text that nothing longer continues
    /// (then the match moves on at once, so `isComplete` holds right after the suffix).
    @inline(__always)
    func terminalLeaf(_ node: Int32) -> Int32? {
        guard let t = terminal(node), edgeCount[Int(node)] == 0 else { return nil }
        return t
    }

    private struct Builder {
        var elements: [Element] = []
        var children: [[(UInt8, Int32)]] = []
        var terminals: [Int32] = []

        static func callHead(_ name: String) -> [UInt8] {
            Array("{\"name\": \"\(name)\", \"arguments\": ".utf8)
        }

        mutating func add(_ e: Element) -> Int32 {
            elements.append(e)
            return Int32(elements.count - 1)
        }

        private mutating func newNode() -> Int32 {
            children.append([])
            terminals.append(-1)
            return Int32(children.count - 1)
        }

        /// An element matching one of `alternatives`, each leading to its element.
        mutating func literal(_ alternatives: [([UInt8], Int32)]) -> Int32 {
            let root = newNode()
            for (text, next) in alternatives {
                var node = root
                for b in text {
                    if let existing = children[Int(node)].first(where: { $0.0 == b }) {
                        node = existing.1
                    } else {
                        let child = newNode()
                        children[Int(node)].append((b, child))
                        node = child
                    }
                }
                // The first of two equal texts wins; callers never produce them.
                if node != root && terminals[Int(node)] < 0 { terminals[Int(node)] = next }
            }
            return add(.literal(root: root))
        }

        private static func fail(_ path: String, _ reason: String) -> RuntimeError {
            RuntimeError(.invalidArgument, "\(path): \(reason)")
        }

        /// Compiles `schema` followed by element `next`. Re-checks the bounds
        /// `ToolSchema` parsing enforces, since its cases can be built directly.
        mutating func compile(_ schema: ToolSchema, next: Int32, path: String, depth: Int, arraySlot: Int32) throws(RuntimeError) -> Int32 {
            guard depth <= ToolSchema.maxDepth else { throw Self.fail(path, "schema nested deeper than \(ToolSchema.maxDepth) levels") }
            switch schema {
            case let .object(properties):
                guard properties.count <= ToolSchema.maxProperties else {
                    throw Self.fail(path, "more than \(ToolSchema.maxProperties) properties")
                }
                var seen = Set<String>()
                for p in properties {
                    guard ToolSchema.isIdentifier(p.name), seen.insert(p.name).inserted else {
                        throw Self.fail(path, "bad or duplicate property name '\(p.name.prefix(64))'")
                    }
                }
                let n = properties.count
                var values = [Int32](repeating: -1, count: n)
                // Where the object may go after property `from - 1`: to any later
                // property up to the first required one, or (if none is required) to the end.
                func choices(from: Int, lead: String, end: String) -> [([UInt8], Int32)] {
                    var out: [([UInt8], Int32)] = []
                    for j in from..<max(from, n) {
                        out.append((Array("\(lead)\"\(properties[j].name)\": ".utf8), values[j]))
                        if properties[j].isRequired { return out }
                    }
                    out.append((Array(end.utf8), next))
                    return out
                }
                for i in stride(from: n - 1, through: 0, by: -1) {
                    let after = literal(choices(from: i + 1, lead: ", ", end: "}"))
                    values[i] = try compile(properties[i].schema, next: after, path: path + "." + properties[i].name,
                                            depth: depth + 1, arraySlot: arraySlot)
                }
                return literal(choices(from: 0, lead: "{", end: "{}"))
            case let .string(maxLength):
                guard maxLength >= 0, maxLength <= ToolSchema.maxMaxLength else {
                    throw Self.fail(path, "maxLength must be in 0...\(ToolSchema.maxMaxLength)")
                }
                return add(.string(maxLength: Int32(maxLength), next: next))
            case let .integer(minimum, maximum):
                let limit = ToolSchema.integerLimit
                let lo = max(minimum, -limit), hi = min(maximum, limit)
                guard lo <= hi else { throw Self.fail(path, "no integer satisfies minimum and maximum") }
                return add(.number(NumberRange(isInteger: true, minimum: lo, maximum: hi), next: next))
            case let .number(minimum, maximum):
                guard minimum.isFinite, maximum.isFinite,
                      let lo = Self.scaled(minimum, roundingUp: true), let hi = Self.scaled(maximum, roundingUp: false),
                      lo <= hi
                else { throw Self.fail(path, "minimum and maximum leave no number with at most 6 decimals") }
                return add(.number(NumberRange(isInteger: false, minimum: lo, maximum: hi), next: next))
            case .boolean:
                return literal([(Array("true".utf8), next), (Array("false".utf8), next)])
            case let .enumeration(values):
                guard !values.isEmpty, values.count <= ToolSchema.maxEnumValues else {
                    throw Self.fail(path, "enum needs 1...\(ToolSchema.maxEnumValues) values")
                }
                var texts: [([UInt8], Int32)] = []
                for v in values {
                    guard let text = Self.enumText(v) else { throw Self.fail(path, "enum value \(v.serialized.prefix(64)) cannot be written") }
                    guard !texts.contains(where: { $0.0 == text }) else { throw Self.fail(path, "duplicate enum value") }
                    texts.append((text, next))
                }
                return literal(texts)
            case let .array(items, maxItems):
                guard maxItems >= 0, maxItems <= ToolSchema.maxMaxItems else {
                    throw Self.fail(path, "maxItems must be in 0...\(ToolSchema.maxMaxItems)")
                }
                guard arraySlot < 8 else { throw Self.fail(path, "arrays nested deeper than 8") }
                // Both array elements exist before the item, which leads back to `after`.
                let open = add(.done)
                let after = add(.done)
                let item = try compile(items, next: after, path: path + ".items", depth: depth + 1, arraySlot: arraySlot + 1)
                let spec = ArraySpec(slot: arraySlot, maxItems: Int32(maxItems), item: item, next: next)
                elements[Int(open)] = .arrayOpen(spec)
                elements[Int(after)] = .arrayAfter(spec)
                return open
            }
        }

        /// An enum value as the grammar writes it (strings escape only `"` and `\`).
        static func enumText(_ v: JSONValue) -> [UInt8]? {
            switch v {
            case let .string(s):
                guard !s.unicodeScalars.contains(where: { $0.value < 0x20 }) else { return nil }
                var out: [UInt8] = [0x22]
                for b in s.utf8 {
                    if b == 0x22 || b == 0x5C { out.append(0x5C) }
                    out.append(b)
                }
                out.append(0x22)
                return out
            case let .number(n): return ToolSchema.canonicalNumberText(n).map { Array($0.utf8) }
            case let .bool(b): return Array((b ? "true" : "false").utf8)
            default: return nil
            }
        }

        /// `x` in units of 10^-6, rounded into the range, such that a number
        /// written with those units reads back (as a Double) on the right side of `x`.
        static func scaled(_ x: Double, roundingUp: Bool) -> Int64? {
            let limit = ToolSchema.integerLimit * 1_000_000 + 999_999
            let raw = (x * 1_000_000).rounded(roundingUp ? .up : .down)
            guard raw.magnitude < 1e17 else { return nil }
            var units = max(-limit, min(limit, Int64(raw)))
            // x * 1e6 may round either way; settle on the tightest units whose
            // decimal value, read as a Double, is still inside the bound.
            func inside(_ u: Int64) -> Bool { roundingUp ? Double(u) / 1e6 >= x : Double(u) / 1e6 <= x }
            for _ in 0..<4 where !inside(units) { units += roundingUp ? 1 : -1 }
            for _ in 0..<4 {
                let tighter = units + (roundingUp ? -1 : 1)
                guard inside(tighter), tighter.magnitude <= limit.magnitude else { break }
                units = tighter
            }
            return inside(units) ? units : nil
        }
    }
}
