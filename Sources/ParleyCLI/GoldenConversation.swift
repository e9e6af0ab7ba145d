import Foundation
import NPCRuntime

/// A golden conversation for `parley test` (JSONL): a header naming the game, then
/// player lines in order, each with an optional `expect` in EVAL-FORMAT.md's shape
/// (tool, all_of, none_of, max_sentences) plus `route` (a route name or a list of them):
///
///     {"game": "..", "model": "smollm2-135m-instruct-q4_1.gguf", "seed": 7}
///     {"player": "go forge"}
///     {"player": "ask brom for work", "expect": {"tool": {"name": "give_quest", "arguments": {"quest": "ore"}}, "route": "authored"}}
///
/// `game` is relative to the file's directory. Lines starting with `#` are comments.
/// The game sees only `player`; the expectations stay here.
struct GoldenConversation {
    struct Step {
        let line: Int
        let player: String
        let expect: EvalExpectation?
        let routes: [String]
    }
    let path: String
    let gameDir: String
    let model: String?
    let seed: UInt64?
    let steps: [Step]

    static func load(path: String) throws -> GoldenConversation {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch { throw CLIFailure("cannot read \(path)") }
        var header: JSONValue?
        var steps: [Step] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            let location = "\(path):\(n + 1)"
            let json: JSONValue
            do { json = try JSONParser.parse(line) } catch { throw CLIFailure("\(location): \(error.message)") }
            guard json.objectValue != nil else { throw CLIFailure("\(location): each line is a JSON object") }
            if header == nil {
                guard json["game"]?.stringValue != nil else { throw CLIFailure("\(location): the first line must name the game: {\"game\": DIR}") }
                header = json
                continue
            }
            guard let player = json["player"]?.stringValue else { throw CLIFailure("\(location): player must be a string") }
            var expect: EvalExpectation?
            var routes: [String] = []
            if let e = json["expect"] {
                do { expect = try EvalExpectation.parse(e, location: location) } catch { throw CLIFailure("\(error)") }
                switch e["route"] {
                case nil: break
                case let .string(r)?: routes = [r]
                case let .array(items)?:
                    routes = items.compactMap(\.stringValue)
                    guard routes.count == items.count, !routes.isEmpty else { throw CLIFailure("\(location): expect.route must be a string or a list of strings") }
                default: throw CLIFailure("\(location): expect.route must be a string or a list of strings")
                }
            }
            steps.append(Step(line: n + 1, player: player, expect: expect, routes: routes))
        }
        guard let header, let game = header["game"]?.stringValue else { throw CLIFailure("\(path): no header line {\"game\": DIR}") }
        // absolute first: standardizing a relative "golden/.." would leave nothing (then "/")
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        let base = URL(fileURLWithPath: absolute).deletingLastPathComponent()
        let dir = game.hasPrefix("/") ? game : base.appendingPathComponent(game).standardized.path
        var seed: UInt64?
        if let s = header["seed"] {
            guard let n = s.intValue, n >= 0 else { throw CLIFailure("\(path): seed must be a non-negative integer") }
            seed = UInt64(n)
        }
        return GoldenConversation(path: path, gameDir: dir, model: header["model"]?.stringValue, seed: seed, steps: steps)
    }
}
