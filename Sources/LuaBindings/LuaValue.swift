/// A Lua value copied out of a state, for hosts that drive a Lua game from Swift
/// (`parley play`). Strings stay bytes: audio PCM travels as a Lua string.
public enum LuaValue: Sendable, Equatable {
    case none
    case bool(Bool)
    case number(Double)
    case string([UInt8])
    /// The array part (keys 1…n without holes) and the string-keyed fields; other keys are dropped.
    case table(array: [LuaValue], fields: [String: LuaValue])

    public static func text(_ s: String) -> LuaValue { .string(Array(s.utf8)) }

    public subscript(key: String) -> LuaValue? {
        if case let .table(_, fields) = self { return fields[key] }
        return nil
    }

    public var items: [LuaValue] {
        if case let .table(array, _) = self { return array }
        return []
    }

    /// The string as UTF-8 text (invalid sequences repaired), or nil for another type.
    public var stringValue: String? {
        if case let .string(bytes) = self { return String(decoding: bytes, as: UTF8.self) }
        return nil
    }

    public var numberValue: Double? {
        if case let .number(d) = self { return d }
        return nil
    }

    public var boolValue: Bool? {
        if case let .bool(b) = self { return b }
        return nil
    }

    /// Lua's truth: everything but nil and false.
    public var isTruthy: Bool {
        switch self {
        case .none: return false
        case let .bool(b): return b
        default: return true
        }
    }
}
