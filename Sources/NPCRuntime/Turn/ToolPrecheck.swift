/// The game's guard, asked before the NPC writes a call rather than only after.
/// Once the decision has picked an action for the player's line and the line's
/// words have narrowed its arguments (`ArgumentGrounding`), the calls those
/// words still allow are few: the values named, or every value of a small
/// domain ("open a gate": north, south, sea). Each is a complete call, valid
/// against the tool, and the guard answers for each on the game's thread:
/// - none allowed: the NPC does not act, and is told why, to say so in
///   character (a shut gate is not tried and refused: it is not tried at all);
/// - some allowed: only their values stay in the grammar ("open a gate" with the
///   north gate shut opens another one);
/// - a parameter of an unbounded domain (free text, a wide number range) makes
///   the calls too many to ask about, and the guard is asked only about the call
///   the model then writes, as it always is.
struct ToolPrecheck: Sendable {
    /// Most calls asked about for one line (each one a guard call on the game's thread).
    static let maxCandidates = 16

    struct Dimension: Sendable {
        let name: String
        let values: [JSONValue]
    }

    /// The chosen action, its parameters narrowed by the line.
    let tool: ToolSpec
    /// The parameters asked about, each with its values in schema order.
    let dimensions: [Dimension]
    /// Argument objects, one per combination of the dimensions' values (the first dimension varies slowest).
    let candidates: [String]

    /// nil when the calls are too many (or unbounded) to ask about. `original` is
    /// the NPC's tool as declared: an optional parameter is asked about only when
    /// the line narrowed it, since the model may leave it out.
    init?(tool: ToolSpec, original: ToolSpec) {
        guard case .object(let properties) = tool.parameters,
              case .object(let declared) = original.parameters else { return nil }
        var dimensions: [Dimension] = []
        var count = 1
        for p in properties {
            let domain = Self.finiteValues(p.schema)
            if p.isRequired && domain == nil { return nil }
            // an optional parameter the line does not narrow may be left out by the model
            guard let domain, p.isRequired || declared.first(where: { $0.name == p.name })?.schema != p.schema else { continue }
            dimensions.append(Dimension(name: p.name, values: domain))
            count *= domain.count
            guard count <= Self.maxCandidates else { return nil }
        }
        guard count > 0 else { return nil }
        var combinations: [[JSONValue]] = [[]]
        for d in dimensions {
            combinations = combinations.flatMap { head in d.values.map { head + [$0] } }
        }
        self.tool = tool
        self.dimensions = dimensions
        candidates = combinations.map { values in
            JSONValue.object(zip(dimensions, values).map { ($0.name, $1) }).serialized
        }
    }

    /// The values a parameter can take, when they are few.
    private static func finiteValues(_ schema: ToolSchema) -> [JSONValue]? {
        switch schema {
        case .enumeration(let values): return values
        case .boolean: return [.bool(false), .bool(true)]
        case .integer(let minimum, let maximum) where maximum >= minimum && maximum - minimum < Int64(maxCandidates):
            return (minimum...maximum).map { .number(Double($0)) }
        default: return nil
        }
    }

    enum Outcome: Equatable {
        /// Act: the tool with only the values of allowed calls left in its parameters.
        case call(ToolSpec)
        /// Do not act: the first refused call and the game's reason.
        case refused(arguments: String, reason: String)
    }

    /// `verdicts[i]` is nil when the game allows `candidates[i]`, else its reason.
    func outcome(_ verdicts: [String?]) -> Outcome {
        let allowed = candidates.indices.filter { $0 < verdicts.count && verdicts[$0] == nil }
        guard !allowed.isEmpty else {
            let reason = verdicts.lazy.compactMap { $0 }.first ?? "refused by the game"
            return .refused(arguments: candidates.first ?? "{}", reason: reason)
        }
        // combination i holds value (i / stride) % values.count of each dimension
        var kept: [String: [JSONValue]] = [:]
        var stride = candidates.count
        for d in dimensions {
            stride /= d.values.count
            let used = Set(allowed.map { ($0 / stride) % d.values.count })
            if used.count < d.values.count { kept[d.name] = d.values.indices.filter(used.contains).map { d.values[$0] } }
        }
        guard !kept.isEmpty, case .object(let properties) = tool.parameters else { return .call(tool) }
        let narrowed = ToolSchema.object(properties.map { p in
            kept[p.name].map { .init(name: p.name, schema: .enumeration($0), isRequired: p.isRequired) } ?? p
        })
        return .call((try? ToolSpec(name: tool.name, description: tool.description, parameters: narrowed)) ?? tool)
    }

    /// What the NPC is told when the game refuses every call the line asks for. A
    /// plain "no" with the game's reason got Qwen2.5 to refuse in character on the
    /// refused requests of the tools set; a note phrased as a report on the player's
    /// request ("The player asked for …") was read back aloud (BENCHMARKS.md, #13).
    static func refusalNote(tool: String, arguments: String, reason: String) -> ChatMessage {
        ChatMessage(.system, "The answer is no: you will not \(actionPhrase(tool: tool, arguments: arguments)), because \(reason). "
                    + "Say no in character, in your own words, in one or two spoken sentences.")
    }

    /// "open gate (north)", "sell item (mana potion, quantity 3)": the call in words;
    /// a key that repeats a word of the tool's name is left out.
    static func actionPhrase(tool: String, arguments: String) -> String {
        let words = tool.split(separator: "_").map(String.init)
        var phrase = words.joined(separator: " ")
        guard let json = try? JSONParser.parse(arguments), case .object(let members) = json, !members.isEmpty else { return phrase }
        phrase += " (" + members.map { key, value in
            var text = value.serialized
            if case .string(let s) = value { text = spaced(s) }
            return words.contains(key) ? text : spaced(key) + " " + text
        }.joined(separator: ", ") + ")"
        return phrase
    }

    private static func spaced(_ s: String) -> String { String(s.map { $0 == "_" ? " " : $0 }) }
}
