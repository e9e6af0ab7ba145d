/// A tool an NPC may call: its name (as the model writes it), what it does
/// (for the prompt) and its parameters. All three come from designers' files,
/// so they are checked here once.
public struct ToolSpec: Sendable, Equatable {
    public let name: String
    public let description: String
    /// Always an `.object` schema: arguments are written as a JSON object.
    public let parameters: ToolSchema

    public static let maxNameBytes = 64
    public static let maxDescriptionBytes = 1024

    public init(name: String, description: String, parameters: ToolSchema) throws(RuntimeError) {
        // ASCII only, first a letter: look-alike letters and zero-width characters
        // would make two different tools read the same in a prompt or log.
        guard ToolSchema.isIdentifier(name, firstMayBeUnderscore: false) else {
            throw RuntimeError(.invalidArgument,
                               "tool name \(Self.quoted(name)): must be 1...64 of [A-Za-z0-9_-], starting with a letter")
        }
        guard description.utf8.count <= Self.maxDescriptionBytes else {
            throw RuntimeError(.invalidArgument, "tool \(name): description is longer than \(Self.maxDescriptionBytes) bytes")
        }
        guard !description.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" && $0 != "\t" }) else {
            throw RuntimeError(.invalidArgument, "tool \(name): description contains a control character")
        }
        guard case .object = parameters else {
            throw RuntimeError(.invalidArgument, "tool \(name): parameters must be an object schema")
        }
        self.name = name
        self.description = description
        self.parameters = parameters
    }

    /// Parses the parameters from JSON text (size-checked before parsing).
    public init(name: String, description: String, parametersJSON: String) throws(RuntimeError) {
        let size = parametersJSON.utf8.count
        guard size <= ToolSchema.maxSchemaBytes else {
            throw RuntimeError(.invalidArgument, "tool \(Self.quoted(name)): parameters are \(size) bytes (limit \(ToolSchema.maxSchemaBytes))")
        }
        let json: JSONValue
        do { json = try JSONParser.parse(parametersJSON) } catch {
            throw RuntimeError(.invalidArgument, "tool \(Self.quoted(name)): parameters: \(error.message)")
        }
        let schema: ToolSchema
        do { schema = try ToolSchema(json: json, path: "parameters") } catch {
            throw RuntimeError(.invalidArgument, "tool \(Self.quoted(name)): \(error.message)")
        }
        try self.init(name: name, description: description, parameters: schema)
    }

    /// A name for messages: bounded, with invisible characters made visible.
    private static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars.prefix(64) {
            if u.isASCII && u.value >= 0x20 && u.value < 0x7F { out.unicodeScalars.append(u) }
            else { out += "\\u{" + String(u.value, radix: 16) + "}" }
        }
        return out + (s.unicodeScalars.count > 64 ? "…\"" : "\"")
    }
}
