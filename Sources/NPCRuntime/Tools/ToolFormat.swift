/// How calls look in the conversation. Qwen2.5's chat template defines
/// `<tool_call>` tags around `{"name": …, "arguments": …}` (one token each in its
/// vocabulary); models whose template has no tool format (SmolLM2, Gemma 3) use
/// the same tags as plain text, which is this project's documented convention.
/// Calls are never parsed out of text: only the grammar-constrained path
/// (`LocalReplySource`) produces them, so tags a player types are inert.
public enum ToolFormat {
    public static let callPrefix = "<tool_call>\n"
    public static let callSuffix = "\n</tool_call>"

    /// A call as the assistant's message content.
    public static func transcript(name: String, arguments: String) -> String {
        var quotedName = ""
        JSONValue.writeString(name, to: &quotedName)
        return callPrefix + #"{"name": \#(quotedName), "arguments": \#(arguments)}"# + callSuffix
    }

    /// A game's result as the model reads it: a JSON object as "key: value"
    /// lines (small models otherwise echo the braces back as speech); other
    /// text as it is.
    public static func resultForModel(_ result: String) -> String {
        guard let json = try? JSONParser.parse(result), let members = json.objectValue else { return result }
        return members.map { key, value in
            "\(key): \(value.stringValue ?? value.serialized)"
        }.joined(separator: "\n")
    }

    /// The system prompt's part about actions: each tool with its parameters in
    /// words (short, for small models), and when to use one.
    public static func toolsSection(_ tools: [ToolSpec], npcName: String) -> String {
        guard !tools.isEmpty else { return "" }
        var text = "\nActions you can take:"
        for t in tools {
            text += "\n- \(t.name): \(t.description)"
            let params = describe(t.parameters)
            if !params.isEmpty { text += " Arguments: \(params)." }
        }
        text += "\nOnly take an action when the player clearly asks for it; otherwise just talk."
        return text
    }

    /// `quest (one of "wolf_pelts", "lighthouse"), amount (integer 1 to 5, optional)`.
    static func describe(_ schema: ToolSchema) -> String {
        guard case let .object(properties) = schema else { return kind(schema) }
        return properties.map { p in
            "\(p.name) (\(kind(p.schema))\(p.isRequired ? "" : ", optional"))"
        }.joined(separator: ", ")
    }

    private static func kind(_ schema: ToolSchema) -> String {
        switch schema {
        case .string: return "text"
        case let .integer(lo, hi): return "integer \(lo) to \(hi)"
        case let .number(lo, hi): return "number \(JSONValue.formatNumber(lo)) to \(JSONValue.formatNumber(hi))"
        case .boolean: return "true or false"
        case let .array(items, maxItems): return "list of up to \(maxItems) \(kind(items))"
        case let .enumeration(values): return "one of " + values.map(\.serialized).joined(separator: ", ")
        case .object: return "object"
        }
    }
}
