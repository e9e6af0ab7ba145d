/// Narrows a chosen tool's parameters to what the player's words name, before
/// the model writes the call under the grammar:
/// - an enum the line mentions keeps only the values it mentions best
///   ("two daggers": `dagger`; "an iron sword": `iron_sword`, not `bronze_sword`),
/// - an integer keeps only the numbers the line says, in its range ("ten days",
///   "5 torches"; "a day" is 1 when the line says no number, for a required
///   integer only: "buy my lantern for a good price" names no price),
/// - an array of enum values holds no more items than the line names.
/// A line that names nothing for a parameter looks at the exchange before it
/// ("I'll take two of them" after talk of hand axes); what neither names is
/// left to the model. The narrowed schema is a subset of the tool's, so every
/// call still validates against the tool itself.
enum ArgumentGrounding {
    static func narrow(_ tool: ToolSpec, line: String, context: String) -> ToolSpec {
        let said = Said(line)
        let before = Said(context)
        guard case .object(let properties) = tool.parameters else { return tool }
        let narrowed = ToolSchema.object(properties.map { p in
            ToolSchema.Property(name: p.name, schema: narrow(p.schema, said, before, required: p.isRequired), isRequired: p.isRequired)
        })
        return (try? ToolSpec(name: tool.name, description: tool.description, parameters: narrowed)) ?? tool
    }

    private static func narrow(_ schema: ToolSchema, _ said: Said, _ before: Said, required: Bool) -> ToolSchema {
        switch schema {
        case .object(let properties):
            return .object(properties.map {
                .init(name: $0.name, schema: narrow($0.schema, said, before, required: required && $0.isRequired), isRequired: $0.isRequired)
            })
        case .enumeration(let values):
            let named = said.bestNamed(values) ?? before.bestNamed(values)
            return named.map { .enumeration($0) } ?? schema
        case .integer(let minimum, let maximum):
            let numbers = said.numbers.isEmpty && required && said.saysOne ? [1] : said.numbers
            let inRange = numbers.filter { $0 >= minimum && $0 <= maximum }
            return inRange.isEmpty ? schema : .enumeration(inRange.map { .number(Double($0)) })
        case .array(items: .enumeration(let values), maxItems: let maxItems):
            guard let named = said.bestNamed(values) ?? before.bestNamed(values) else { return schema }
            return .array(items: .enumeration(named), maxItems: min(maxItems, named.count))
        default:
            return schema
        }
    }

    /// The words and numbers of one text.
    private struct Said {
        let words: Set<String>
        /// Numbers said in digits or words.
        let numbers: [Int64]
        /// "a" or "an": one of something, when no number is said.
        let saysOne: Bool

        init(_ text: String) {
            let w = RequestReading.words(text)
            words = Set(w.map(RequestReading.stem))
            saysOne = w.contains("a") || w.contains("an")
            // figures as the reply's grounding reads them: digits or a run of number words ("twenty five")
            let figureWords = GroundedUnits.words(text)
            var found: [Int64] = []
            var i = 0
            while i < figureWords.count {
                guard let (value, end) = GroundedUnits.figure(in: figureWords, at: i) else { i += 1; continue }
                if value <= UInt64(ToolSchema.integerLimit), !found.contains(Int64(value)) { found.append(Int64(value)) }
                i = end
            }
            numbers = found
        }

        /// The string values with the largest share of their words said (at least one), in schema order.
        func bestNamed(_ values: [JSONValue]) -> [JSONValue]? {
            let shares = values.map { value -> Double in
                guard case .string(let s) = value else { return 0 }
                let parts = RequestReading.words(s).map(RequestReading.stem)
                guard !parts.isEmpty else { return 0 }
                return Double(parts.filter(words.contains).count) / Double(parts.count)
            }
            guard let top = shares.max(), top > 0 else { return nil }
            return values.indices.filter { shares[$0] == top }.map { values[$0] }
        }
    }
}
