import Foundation
import Testing
@testable import NPCRuntime

/// The three real models against llama.cpp's greedy outputs (shared/reference/llm),
/// with the agreement rule of shared/reference/README.md.
@Suite(.serialized) struct TransformerReferenceTests {
    static let models = ["smollm2-135m-instruct-q4_1", "qwen2.5-coder-0.5b-instruct-q4_k_m", "gemma-3-270m-q4_k_m"]

    struct Case {
        let promptIDs: [Int32]
        let tokens: [Int32]
        let logprobs: [Float]
        let top2: [(Int32, Float, Int32, Float)]
    }

    static func cases(_ model: String) throws -> [Case] {
        let root = try #require(TestPaths.loadJSON(TestPaths.referenceFile("llm/\(model).json")) as? [String: Any])
        let greedy = try #require(root["greedy"] as? [[String: Any]])
        return try greedy.map { g in
            let steps = try #require(g["steps"] as? [[String: Any]])
            return Case(
                promptIDs: try #require(g["prompt_ids"] as? [Int]).map { Int32($0) },
                tokens: try #require(g["tokens"] as? [Int]).map { Int32($0) },
                logprobs: steps.map { Float($0["logprob"] as? Double ?? .nan) },
                top2: steps.map { s in
                    let top = s["top"] as? [[String: Any]] ?? []
                    func at(_ i: Int) -> (Int32, Float) {
                        guard i < top.count else { return (-1, -.infinity) }
                        return (Int32(top[i]["id"] as? Int ?? -1), Float(top[i]["logprob"] as? Double ?? -.infinity))
                    }
                    let (a, la) = at(0), (b, lb) = at(1)
                    return (a, la, b, lb)
                })
        }
    }

    /// Runs the agreement rule; returns a description of the first violation, or nil.
    static func check(_ c: Case, steps: [GeneratedStep]) -> String? {
        let compared = min(16, c.tokens.count)
        for i in 0..<compared {
            guard i < steps.count else { return "stopped after \(steps.count) tokens, reference has \(c.tokens.count)" }
            let ours = steps[i].token
            if ours != c.tokens[i] {
                let (_, la, runnerUp, lb) = c.top2[i]
                if la - lb <= 0.3 && ours == runnerUp { return nil }  // near tie: comparison ends
                return "step \(i): token \(ours), reference \(c.tokens[i]) (top two \(la), \(lb))"
            }
            if abs(steps[i].logprob - c.logprobs[i]) > 0.2 {
                return "step \(i): logprob \(steps[i].logprob), reference \(c.logprobs[i])"
            }
        }
        return nil
    }

    @Test(arguments: models)
    func greedyAgreesWithLlamaCpp(model: String) throws {
        guard TestPaths.hasModel(model + ".gguf") else { return }
        let path = try #require(TestPaths.model(model + ".gguf"), "model \(model).gguf not found (run scripts/fetch-models)")
        let gguf = try GGUFFile(path: path)
        let transformer = try Transformer(gguf: gguf, threads: 2, maxContext: 512)
        for (n, c) in try Self.cases(model).enumerated() {
            let cache = KVCache(config: transformer.config, capacity: 512)
            let steps = try transformer.generate(prompt: c.promptIDs, cache: cache, maxTokens: min(16, c.tokens.count),
                                                 sampler: Sampler(.greedy), topLogprobs: 2)
            let problem = Self.check(c, steps: steps)
            #expect(problem == nil, "\(model) case \(n): \(problem ?? "")")
        }
    }
}
