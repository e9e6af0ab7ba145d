import ArgumentParser
import Foundation
import NPCRuntime

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks (medians over several runs).",
        subcommands: [BenchLLM.self, BenchKernels.self, BenchVoice.self, BenchTurn.self])
}

struct BenchLLM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llm",
        abstract: "Prefill and decode tokens/s of a GGUF model, with the memory-bandwidth bound.")

    @Option(name: .shortAndLong, help: "GGUF file (path or bare name)") var model: String
    @Option(name: .short, help: "Threads") var t: Int = 2
    @Option(name: .short, help: "Prompt tokens") var p: Int = 128
    @Option(name: .short, help: "Generated tokens") var n: Int = 64
    @Option(help: "Runs (median reported)") var runs: Int = 3
    @Flag(help: "Print one JSON object") var json = false

    func run() throws {
        let path = try resolveModel(model)
        let gguf = try GGUFFile(path: path)
        let transformer = try Transformer(gguf: gguf, threads: t, maxContext: p + n + 1)
        let loaded = try ResidentMemory.current()
        let kvBytes = KVCache.byteCount(config: transformer.config, capacity: p + n + 1)
        var rng = SplitMix64(seed: 1)
        let vocab = transformer.config.vocabSize
        let prompt = (0..<p).map { _ in Int32(truncatingIfNeeded: rng.next() % UInt64(vocab)) }
        var prefill: [Double] = [], decode: [Double] = []
        var lastLogits: [Float] = []
        for _ in 0..<max(1, runs) {
            let cache = KVCache(config: transformer.config, capacity: p + n + 1)
            let t0 = monotonicMs()
            _ = try transformer.forward(prompt, cache: cache)
            let t1 = monotonicMs()
            for i in 0..<n { lastLogits = Array(try transformer.forward([prompt[i % p]], cache: cache)) }
            let t2 = monotonicMs()
            prefill.append(Double(p) / ((t1 - t0) / 1000))
            decode.append(Double(n) / ((t2 - t1) / 1000))
        }
        let sampling = samplingCostMs(logits: lastLogits, history: prompt)
        let mask = try grammarMaskCost(tokenizer: Tokenizer(gguf: gguf), tools: sampleNPCTools(), suffix: ToolFormat.callSuffix)
        let afterRuns = try ResidentMemory.current()
        let bytes = transformer.weights.bytesPerToken
        let bandwidth = measureReadBandwidth(pool: transformer.pool)
        let fileMB = Double(gguf.file.size) / 1e6, kvMB = Double(kvBytes) / 1e6
        let budgetMB = fileMB + kvMB + 64
        let bound = bandwidth / Double(bytes)
        let pre = median(prefill), dec = median(decode)
        if json {
            print(#"{"model":"\#(model)","threads":\#(t),"prompt":\#(p),"gen":\#(n),"prefill_tok_s":\#(round1(pre)),"decode_tok_s":\#(round1(dec)),"bytes_per_token":\#(bytes),"bandwidth_gb_s":\#(round1(bandwidth / 1e9)),"decode_bound_tok_s":\#(round1(bound)),"file_mb":\#(round1(fileMB)),"kv_cache_mb":\#(round1(kvMB)),"rss_after_load_mb":\#(round1(loaded.totalMB)),"rss_anon_after_load_mb":\#(round1(loaded.anonMB)),"rss_after_runs_mb":\#(round1(afterRuns.totalMB)),"rss_anon_after_runs_mb":\#(round1(afterRuns.anonMB)),"rss_budget_mb":\#(round1(budgetMB)),"sampling_ms_per_token":\#(sampling),"grammar_mask_ms_per_token":\#(round3(mask.perTokenMs)),"grammar_mask_share_of_decode":\#(round3(mask.perTokenMs * dec / 1000))}"#)
        } else {
            print("model \(model), \(t) threads")
            print("prefill \(p) tokens: \(round1(pre)) tok/s   (runs: \(prefill.map(round1)))")
            print("decode  \(n) tokens: \(round1(dec)) tok/s   (runs: \(decode.map(round1)))")
            print("resident memory: \(round1(loaded.totalMB)) MB after load (\(round1(loaded.anonMB)) MB heap), \(round1(afterRuns.totalMB)) MB after the runs (\(round1(afterRuns.anonMB)) MB heap); budget file \(round1(fileMB)) + KV cache \(round1(kvMB)) + 64 = \(round1(budgetMB)) MB")
            print("sampling (NPC default: penalty, top-k 40, top-p, min-p, temperature) \(String(format: "%.3f", sampling)) ms per token over \(transformer.config.vocabSize) logits")
            print("tool-call grammar mask: \(String(format: "%.3f", mask.perTokenMs)) ms per token (worst \(String(format: "%.2f", mask.maxTokenMs)) ms) = \(String(format: "%.1f", 100 * mask.perTokenMs * dec / 1000))% of a decode step; \(mask.validCalls)/\(mask.calls) random-logit calls valid")
            print("weights read per token: \(String(format: "%.1f", Double(bytes) / 1e6)) MB; memory read bandwidth \(round1(bandwidth / 1e9)) GB/s → decode bound \(round1(bound)) tok/s (\(Int(100 * dec / bound))% of it)")
        }
    }
}

/// Median ms to pick one token with the NPC default sampler (processors + sampler)
/// from real logits, as `TokenStream` does each decode step.
func samplingCostMs(logits: [Float], history: [Int32]) -> Double {
    guard !logits.isEmpty else { return 0 }
    var config = SamplerConfig.npcDefault
    config.seed = 7
    var sampler = Sampler(config)
    let processors = config.processors
    var work = logits
    var times: [Double] = []
    for _ in 0..<200 {
        let t0 = monotonicMs()
        work.replaceSubrange(0..<work.count, with: logits)
        let token = work.withUnsafeMutableBufferPointer { buffer in
            for p in processors { p.process(buffer, history: history[...]) }
            return sampler.sample(UnsafeBufferPointer(buffer))
        }
        times.append(monotonicMs() - t0)
        if token < 0 { print("") }  // keeps the result alive
    }
    return (median(times) * 1000).rounded() / 1000
}

func median(_ v: [Double]) -> Double {
    let s = v.sorted()
    return s.isEmpty ? 0 : s[s.count / 2]
}

func round1(_ v: Double) -> Double { (v * 10).rounded() / 10 }
func round3(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }

/// Read bandwidth with all pool threads summing disjoint parts of a 512 MB buffer (best of 3).
func measureReadBandwidth(pool: ThreadPool) -> Double {
    let count = 128 << 20  // floats
    let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
    defer { buffer.deallocate() }
    buffer.initialize(repeating: 1, count: count)
    var best = 0.0
    for _ in 0..<3 {
        let t0 = monotonicMs()
        pool.parallelFor(count / 64) { range in
            var acc = SIMD16<Float>()
            let raw = UnsafeRawPointer(buffer)
            for block in range {
                let base = block * 64 * 4
                acc += raw.load(fromByteOffset: base, as: SIMD16<Float>.self)
                acc += raw.load(fromByteOffset: base + 64, as: SIMD16<Float>.self)
                acc += raw.load(fromByteOffset: base + 128, as: SIMD16<Float>.self)
                acc += raw.load(fromByteOffset: base + 192, as: SIMD16<Float>.self)
            }
            if acc.sum() == -1 { print("") }  // keeps the loads alive
        }
        let seconds = (monotonicMs() - t0) / 1000
        best = max(best, Double(count * 4) / seconds)
    }
    return best
}

/// This process's resident set from /proc/self/status (VmRSS and its anonymous part, RssAnon).
struct ResidentMemory {
    let totalMB: Double
    let anonMB: Double

    static func current() throws -> ResidentMemory {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        func kB(_ key: String) -> Double {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }),
                  let value = line.split(separator: " ").dropFirst().first(where: { !$0.isEmpty }), let n = Double(value)
            else { return .nan }
            return n
        }
        return ResidentMemory(totalMB: kB("VmRSS") * 1024 / 1e6, anonMB: kB("RssAnon") * 1024 / 1e6)
    }
}
