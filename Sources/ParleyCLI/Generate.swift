import ArgumentParser
import Foundation
import NPCRuntime

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate text with a GGUF model (llama, qwen2, gemma3).")

    @Option(name: .shortAndLong, help: "GGUF file (path or bare name)") var model: String
    @Option(help: "Prompt text (tokenized with special tokens added and parsed)") var prompt: String?
    @Option(help: "Prompt ids, comma-separated") var promptIds: String?
    @Option(name: .short, help: "Tokens to generate") var n: Int = 32
    @Flag(help: "Greedy decoding (the default unless --temp is given)") var greedy = false
    @Option(help: "Temperature") var temp: Float = 0
    @Option(help: "Top-k (0: off)") var topK: Int = 40
    @Option(help: "Top-p (1: off)") var topP: Float = 0.95
    @Option(help: "Min-p (0: off)") var minP: Float = 0.05
    @Option(help: "Repetition penalty (1: off)") var repeatPenalty: Float = 1
    @Option(help: "Seed") var seed: UInt64 = 0
    @Option(help: "Report the top K log-probabilities per step") var topLogprobs: Int = 0
    @Option(help: "Threads (0: all cores, at most 4)") var threads: Int = 0
    @Option(help: "Context length") var ctx: Int = 2048
    @Flag(help: "Print JSON") var json = false
    @Flag(help: "Print sum/head of each intermediate tensor (llama.cpp's names) to stderr") var traceTensors = false

    func run() throws {
        let gguf = try GGUFFile(path: resolveModel(model))
        let transformer = try Transformer(gguf: gguf, threads: defaultThreads(threads), maxContext: ctx)
        if traceTensors {
            transformer.tracer = { name, values in
                let sum = values.reduce(0, +)
                let head = values.prefix(3).map { String(format: "%.4f", $0) }.joined(separator: ", ")
                FileHandle.standardError.write("\(name) sum=\(String(format: "%.4f", sum)) head=[\(head)]\n".data(using: .utf8)!)
            }
        }
        let tokenizer = try Tokenizer(gguf: gguf)
        let promptTokens: [Int32]
        switch (prompt, promptIds) {
        case let (text?, nil): promptTokens = tokenizer.encode(text, addSpecial: true, parseSpecial: true)
        case let (nil, ids?): promptTokens = try parseIDs(ids)
        default: throw ValidationError("give exactly one of --prompt and --prompt-ids")
        }
        guard !promptTokens.isEmpty else { throw ValidationError("the prompt is empty") }
        var config = SamplerConfig()
        if !greedy && temp > 0 {
            config.temperature = temp; config.topK = topK; config.topP = topP; config.minP = minP
        }
        config.repeatPenalty = repeatPenalty
        config.seed = seed
        let cache = KVCache(config: transformer.config, capacity: ctx)
        let stop = Set(tokenizer.endOfGeneration)
        let steps = try transformer.generate(prompt: promptTokens, cache: cache, maxTokens: n, sampler: Sampler(config),
                                             processors: config.processors, stopTokens: stop, topLogprobs: json ? max(topLogprobs, 1) : topLogprobs)
        if json {
            let stepsJSON = steps.map { s in
                "{\"logprob\":\(s.logprob),\"top\":[" + s.top.map { "{\"id\":\($0.id),\"logprob\":\($0.logprob)}" }.joined(separator: ",") + "]}"
            }
            var completion = ""
            JSONValue.writeString(tokenizer.decode(steps.map { $0.token }, renderSpecial: false), to: &completion)
            print("{\"prompt_ids\":\(promptTokens),\"tokens\":\(steps.map { $0.token }),\"steps\":[\(stepsJSON.joined(separator: ","))],\"completion\":\(completion)}")
        } else {
            print(tokenizer.decode(steps.map { $0.token }, renderSpecial: false))
        }
    }
}

func parseIDs(_ text: String) throws -> [Int32] {
    let parts = text.split(whereSeparator: { $0 == "," || $0 == " " })
    var ids: [Int32] = []
    for p in parts {
        guard let v = Int32(p) else { throw ValidationError("not a token id: \(p)") }
        ids.append(v)
    }
    guard !ids.isEmpty else { throw ValidationError("no ids given") }
    return ids
}

func defaultThreads(_ requested: Int) -> Int {
    requested > 0 ? requested : min(4, ProcessInfo.processInfo.activeProcessorCount)
}
