/// The JSON Schema subset a tool's parameters may use. Schemas come from game
/// designers and eval files, so parsing is strict and bounded: every problem is
/// a `RuntimeError(.invalidArgument)` naming the path of the offending keyword.
/// Bounds that JSON Schema leaves open (string length, array length, integer
/// digits) get the defaults below, and both `validate` and `CallGrammar` apply
/// the same effective bounds.
public indirect enum ToolSchema: Sendable, Equatable {
    public struct Property: Sendable, Equatable {
        public let name: String
        public let schema: ToolSchema
        public let isRequired: Bool
    }

    /// Properties in schema order (the order the grammar emits them in);
    /// additional properties are never allowed.
    case object([Property])
    /// Free text of at most `maxLength` Unicode scalars.
    case string(maxLength: Int)
    /// Whole numbers in `minimum...maximum` (at most `maxIntegerDigits` digits).
    case integer(minimum: Int64, maximum: Int64)
    /// Numbers in `minimum...maximum` with at most `maxFractionDigits` decimals.
    case number(minimum: Double, maximum: Double)
    case boolean
    case array(items: ToolSchema, maxItems: Int)
    /// One of a fixed list of strings, numbers or booleans.
    case enumeration([JSONValue])

    public static let maxDepth = 8
    public static let maxProperties = 32
    public static let maxEnumValues = 64
    public static let maxSchemaBytes = 16 * 1024
    public static let defaultMaxLength = 64
    public static let maxMaxLength = 4096
    public static let defaultMaxItems = 8
    public static let maxMaxItems = 64
    public static let maxIntegerDigits = 10
    public static let maxFractionDigits = 6
    public static let maxEnumStringBytes = 256
    /// The largest magnitude a 10-digit integer part allows.
    public static let integerLimit: Int64 = 9_999_999_999

    /// Keywords that only document a schema; accepted and ignored.
    static let annotations: Set<String> = ["description", "title", "default", "examples", "$comment"]

    /// Parses `json`; `path` names the schema in messages ("parameters").
    public init(json: JSONValue, path: String = "parameters") throws(RuntimeError) {
        let size = json.serialized.utf8.count
        guard size <= Self.maxSchemaBytes else {
            throw RuntimeError(.invalidArgument, "\(path): schema is \(size) bytes (limit \(Self.maxSchemaBytes))")
        }
        self = try Self.parse(json, path: path, depth: 1)
    }

    private static func fail(_ path: String, _ reason: String) -> RuntimeError {
        RuntimeError(.invalidArgument, "\(path): \(reason)")
    }

    private static func parse(_ json: JSONValue, path: String, depth: Int) throws(RuntimeError) -> ToolSchema {
        guard depth <= maxDepth else { throw fail(path, "schema nested deeper than \(maxDepth) levels") }
        guard let members = json.objectValue else { throw fail(path, "a schema must be a JSON object") }
        var keywords: [String: JSONValue] = [:]
        for (key, value) in members {
            guard keywords.updateValue(value, forKey: key) == nil else { throw fail(path, "duplicate keyword '\(key)'") }
        }
        func take(_ key: String) -> JSONValue? { keywords.removeValue(forKey: key) }

        let enumValues = try take("enum").map { (v) throws(RuntimeError) in try parseEnum(v, path: path + ".enum") }
        let typeName: String?
        switch take("type") {
        case nil: typeName = nil
        case let .string(s)?: typeName = s
        case .some: throw fail(path, "'type' must be a single type name")
        }

        let result: ToolSchema
        switch typeName {
        case nil:
            guard let enumValues else { throw fail(path, "missing 'type'") }
            result = .enumeration(enumValues)
        case "object":
            guard enumValues == nil else { throw fail(path, "'enum' is not supported on objects") }
            result = try parseObject(take, path: path, depth: depth)
        case "string":
            let maxLength = try bound(take("maxLength"), name: "maxLength", path: path,
                                      defaultValue: defaultMaxLength, limit: maxMaxLength)
            if let enumValues {
                guard enumValues.allSatisfy({ $0.stringValue != nil }) else {
                    throw fail(path + ".enum", "values of a string enum must be strings")
                }
                result = .enumeration(enumValues)
            } else {
                result = .string(maxLength: maxLength)
            }
        case "integer", "number":
            let isInteger = typeName == "integer"
            let minimum = try limit(take("minimum"), name: "minimum", path: path)
            let maximum = try limit(take("maximum"), name: "maximum", path: path)
            if let enumValues {
                guard enumValues.allSatisfy({ isInteger ? $0.intValue != nil : $0.doubleValue != nil }) else {
                    throw fail(path + ".enum", "values must be \(isInteger ? "integers" : "numbers")")
                }
                result = .enumeration(enumValues)
            } else if isInteger {
                let limit = Double(integerLimit)
                let lo = max(-limit, (minimum ?? -limit).rounded(.up))
                let hi = min(limit, (maximum ?? limit).rounded(.down))
                guard lo <= hi else { throw fail(path, "no integer satisfies minimum and maximum") }
                result = .integer(minimum: Int64(lo), maximum: Int64(hi))
            } else {
                // The grammar writes at most 10 integer digits: |x| < 1e10.
                let limit = 9_999_999_999.999999
                let lo = max(-limit, minimum ?? -limit)
                let hi = min(limit, maximum ?? limit)
                guard lo <= hi else { throw fail(path, "minimum is greater than maximum") }
                result = .number(minimum: lo, maximum: hi)
            }
        case "boolean":
            if let enumValues {
                guard enumValues.allSatisfy({ $0.boolValue != nil }) else {
                    throw fail(path + ".enum", "values of a boolean enum must be booleans")
                }
                result = .enumeration(enumValues)
            } else {
                result = .boolean
            }
        case "array":
            guard enumValues == nil else { throw fail(path, "'enum' is not supported on arrays") }
            guard let items = take("items") else { throw fail(path, "an array needs 'items'") }
            let itemSchema = try parse(items, path: path + ".items", depth: depth + 1)
            let maxItems = try bound(take("maxItems"), name: "maxItems", path: path,
                                     defaultValue: defaultMaxItems, limit: maxMaxItems)
            result = .array(items: itemSchema, maxItems: maxItems)
        case let other?:
            throw fail(path, "unsupported type '\(other.prefix(32))'")
        }
        for key in keywords.keys.sorted() where !annotations.contains(key) {
            throw fail(path, "unsupported keyword '\(key.prefix(64))'")
        }
        return result
    }

    private static func parseObject(_ take: (String) -> JSONValue?, path: String, depth: Int) throws(RuntimeError) -> ToolSchema {
        switch take("additionalProperties") {
        case nil, .bool(false)?: break
        case .some: throw fail(path, "'additionalProperties' must be false")
        }
        var required: [String] = []
        if let value = take("required") {
            guard let list = value.arrayValue else { throw fail(path + ".required", "must be an array of names") }
            for item in list {
                guard let name = item.stringValue else { throw fail(path + ".required", "must be an array of names") }
                guard !required.contains(name) else { throw fail(path + ".required", "duplicate name '\(name.prefix(64))'") }
                required.append(name)
            }
        }
        var properties: [Property] = []
        if let value = take("properties") {
            guard let members = value.objectValue else { throw fail(path + ".properties", "must be an object") }
            guard members.count <= maxProperties else {
                throw fail(path + ".properties", "\(members.count) properties (limit \(maxProperties))")
            }
            for (name, schema) in members {
                let propertyPath = path + ".properties." + name.prefix(64)
                guard isIdentifier(name) else {
                    throw fail(propertyPath, "a property name must be 1...64 of [A-Za-z0-9_-], starting with a letter or '_'")
                }
                guard !properties.contains(where: { $0.name == name }) else { throw fail(propertyPath, "duplicate property") }
                properties.append(Property(name: name, schema: try parse(schema, path: propertyPath, depth: depth + 1),
                                           isRequired: required.contains(name)))
            }
        }
        for name in required where !properties.contains(where: { $0.name == name }) {
            throw fail(path + ".required", "'\(name.prefix(64))' is not a property")
        }
        return .object(properties)
    }

    private static func parseEnum(_ value: JSONValue, path: String) throws(RuntimeError) -> [JSONValue] {
        guard let list = value.arrayValue, !list.isEmpty else { throw fail(path, "must be a non-empty array") }
        guard list.count <= maxEnumValues else { throw fail(path, "\(list.count) values (limit \(maxEnumValues))") }
        var out: [JSONValue] = []
        for item in list {
            switch item {
            case let .string(s):
                guard s.utf8.count <= maxEnumStringBytes else {
                    throw fail(path, "a value is longer than \(maxEnumStringBytes) bytes")
                }
                // The grammar only writes the escapes \" and \\.
                guard !s.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
                    throw fail(path, "a value contains a control character")
                }
            case let .number(n):
                guard n.isFinite, abs(n) <= Double(integerLimit) else { throw fail(path, "a number is out of range") }
                // Canonical text must round-trip (no exponents, at most 6 decimals).
                guard canonicalNumberText(n) != nil else { throw fail(path, "a number has more than \(maxFractionDigits) decimals") }
            case .bool: break
            default: throw fail(path, "values must be strings, numbers or booleans")
            }
            guard !out.contains(item) else { throw fail(path, "duplicate value \(item.serialized.prefix(64))") }
            out.append(item)
        }
        return out
    }

    private static func bound(_ value: JSONValue?, name: String, path: String, defaultValue: Int, limit: Int) throws(RuntimeError) -> Int {
        guard let value else { return defaultValue }
        guard let n = value.intValue, n >= 0, n <= limit else {
            throw fail(path, "'\(name)' must be an integer in 0...\(limit)")
        }
        return n
    }

    private static func limit(_ value: JSONValue?, name: String, path: String) throws(RuntimeError) -> Double? {
        guard let value else { return nil }
        guard let n = value.doubleValue, n.isFinite else { throw fail(path, "'\(name)' must be a number") }
        return n
    }

    /// Names the grammar can write without escapes: `[A-Za-z_][A-Za-z0-9_-]{0,63}`.
    static func isIdentifier(_ name: String, firstMayBeUnderscore: Bool = true) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 64 else { return false }
        func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
        guard isLetter(first) || (firstMayBeUnderscore && first == 0x5F) else { return false }
        return bytes.allSatisfy { isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F || $0 == 0x2D }
    }

    /// The number as the grammar writes it (`-?int(.frac)?`, at most 6 decimals,
    /// no trailing zeros), or nil if it cannot be written that way exactly.
    static func canonicalNumberText(_ n: Double) -> String? {
        guard n.isFinite, abs(n) <= 9_999_999_999.999999 else { return nil }
        let scaled = (abs(n) * 1_000_000).rounded()
        let units = Int64(scaled)
        let whole = units / 1_000_000
        var fraction = units % 1_000_000
        var text = (n < 0 && units != 0 ? "-" : "") + String(whole)
        if fraction != 0 {
            var digits = 6
            while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
            let f = String(fraction)
            text += "." + String(repeating: "0", count: digits - f.count) + f
        }
        // Exact only if the text reads back as the same double.
        guard Double(text) == n || (n == 0 && text == "0") else { return nil }
        return text
    }

    // MARK: validation

    /// nil when `value` satisfies the schema; otherwise a short reason naming
    /// the path ("arguments.quest: not one of the allowed values").
    public func validate(_ value: JSONValue, path: String = "arguments") -> String? {
        switch self {
        case let .object(properties):
            guard let members = value.objectValue else { return "\(path): expected an object" }
            var seen = Set<String>()
            for (key, member) in members {
                guard seen.insert(key).inserted else { return "\(path): duplicate property '\(key.prefix(64))'" }
                guard let property = properties.first(where: { $0.name == key }) else {
                    return "\(path): unexpected property '\(key.prefix(64))'"
                }
                if let reason = property.schema.validate(member, path: path + "." + key) { return reason }
            }
            for property in properties where property.isRequired && !seen.contains(property.name) {
                return "\(path): missing required property '\(property.name)'"
            }
            return nil
        case let .string(maxLength):
            guard let s = value.stringValue else { return "\(path): expected a string" }
            guard s.unicodeScalars.count <= maxLength else { return "\(path): longer than \(maxLength) characters" }
            return nil
        case let .integer(minimum, maximum):
            guard case let .number(n) = value else { return "\(path): expected an integer" }
            guard n.isFinite, n.rounded() == n else { return "\(path): expected a whole number" }
            guard n >= Double(minimum) && n <= Double(maximum) else { return "\(path): outside \(minimum)...\(maximum)" }
            return nil
        case let .number(minimum, maximum):
            guard case let .number(n) = value, n.isFinite else { return "\(path): expected a number" }
            guard n >= minimum && n <= maximum else {
                return "\(path): outside \(JSONValue.formatNumber(minimum))...\(JSONValue.formatNumber(maximum))"
            }
            return nil
        case .boolean:
            return value.boolValue == nil ? "\(path): expected true or false" : nil
        case let .array(items, maxItems):
            guard let list = value.arrayValue else { return "\(path): expected an array" }
            guard list.count <= maxItems else { return "\(path): more than \(maxItems) items" }
            for (i, item) in list.enumerated() {
                if let reason = items.validate(item, path: "\(path)[\(i)]") { return reason }
            }
            return nil
        case let .enumeration(values):
            return values.contains(value) ? nil : "\(path): not one of the allowed values"
        }
    }
}

extension ToolSchema {
    /// The effective schema as JSON Schema (with the bounds this project applies),
    /// for servers that take tools in OpenAI's format.
    public var json: JSONValue {
        switch self {
        case let .object(properties):
            return .object([
                ("type", .string("object")),
                ("properties", .object(properties.map { ($0.name, $0.schema.json) })),
                ("required", .array(properties.filter(\.isRequired).map { .string($0.name) })),
                ("additionalProperties", .bool(false)),
            ])
        case let .string(maxLength):
            return .object([("type", .string("string")), ("maxLength", .number(Double(maxLength)))])
        case let .integer(minimum, maximum):
            return .object([("type", .string("integer")), ("minimum", .number(Double(minimum))),
                            ("maximum", .number(Double(maximum)))])
        case let .number(minimum, maximum):
            return .object([("type", .string("number")), ("minimum", .number(minimum)), ("maximum", .number(maximum))])
        case .boolean:
            return .object([("type", .string("boolean"))])
        case let .array(items, maxItems):
            return .object([("type", .string("array")), ("items", items.json), ("maxItems", .number(Double(maxItems)))])
        case let .enumeration(values):
            return .object([("enum", .array(values))])
        }
    }
}
