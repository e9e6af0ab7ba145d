import Foundation
import Kernels
import Testing
@testable import NPCRuntime

/// The optimized forward pass on tiny random models of each architecture (built in
/// code, see TinyModel): agreement with a plain float forward pass, determinism across
/// thread counts, batched prefill against single steps, KV prefix reuse, bad inputs.
@Suite struct TransformerTests {
    /// Random token ids of a model's vocabulary.
    static func tokens(_ m: TinyModel, _ count: Int, seed: UInt64 = 3) -> [Int32] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in Int32(rng.next() % UInt64(m.vocab)) }
    }

    /// RMS of a − b relative to the RMS of b.
    static func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        let diff = zip(a, b).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let norm = b.reduce(Float(0)) { $0 + $1 * $1 }
        return (diff / max(norm, .leastNormalMagnitude)).squareRoot()
    }

    /// Tolerances against the float reference (RMS of the difference over RMS of the
    /// reference). The optimized path differs from it by design in a few roundings
    /// (llama.cpp's): activations rounded to int8 per block (the reference does the
    /// same), q8_1 block scales and sums through fp16, K/V and the attention accumulator
    /// in fp16, GELU through fp16. Up to the first attention output that leaves ≤ 5.1e-4
    /// (checked at 2e-3: a wrong RoPE base or style, window, norm epsilon, QK-norm or bias
    /// shows up as 1e-2 and more). After it, inputs that differ slightly are rounded to
    /// int8 again, single steps flip, and the difference grows to about 2% of the logits'
    /// RMS by the output (checked at 3%).
    static let firstLayerTolerance: Float = 2e-3
    static let logitTolerance: Float = 0.03

    @Test(arguments: TinyModel.all)
    func matchesFloatReference(_ m: TinyModel) throws {
        let gguf = try m.load()
        let ids = Self.tokens(m, 12)
        var expected: [String: [Float]] = [:]   // reference values of all tokens, (token, width)
        let reference = m.referenceLogits(gguf, tokens: ids) { name, v in expected[name, default: []] += v }
        let transformer = try Transformer(gguf: gguf, threads: 2)
        var traced: [String: [Float]] = [:]
        transformer.tracer = { name, v in traced[name, default: []] += Array(v) }
        let cache = KVCache(config: transformer.config, capacity: 16)
        // a 5-token prefill, then single-token steps (past gemma3's window of 2)
        var logits = [Array(try transformer.forward(Array(ids[0..<5]), cache: cache))]
        for t in ids[5...] { logits.append(Array(try transformer.forward([t], cache: cache))) }
        #expect(cache.count == ids.count && cache.tokens == ids)

        for name in ["attn_norm-0", "Qcur-0", "Kcur-0", "Vcur-0", "kqv_out-0"] {
            let ours = try #require(traced[name], "\(name) not traced"), theirs = try #require(expected[name])
            let error = Self.relativeError(ours, theirs)
            #expect(error <= Self.firstLayerTolerance, "\(m) \(name): relative error \(error)")
        }
        let worst = zip(logits, reference[4...]).map { Self.relativeError($0, $1) }.max()!
        #expect(worst <= Self.logitTolerance, "\(m): relative logit error \(worst)")
    }

    /// Every logit of a prefill and three decode steps.
    static func run(_ m: TinyModel, threads: Int, maxBatch: Int = 64) throws -> [[Float]] {
        let transformer = try Transformer(gguf: try m.load(), threads: threads, maxBatch: maxBatch)
        let cache = KVCache(config: transformer.config, capacity: 32)
        let ids = tokens(m, 11)
        var out = [Array(try transformer.forward(Array(ids[0..<8]), cache: cache))]
        for t in ids[8...] { out.append(Array(try transformer.forward([t], cache: cache))) }
        return out
    }

    @Test(arguments: TinyModel.all)
    func logitsAreBitwiseEqualForOneTwoAndThreeThreads(_ m: TinyModel) throws {
        let bits = { (runs: [[Float]]) in runs.map { $0.map(\.bitPattern) } }
        let one = bits(try Self.run(m, threads: 1))
        let two = bits(try Self.run(m, threads: 2)), three = bits(try Self.run(m, threads: 3))
        #expect(two == one && three == one)
    }

    @Test(arguments: TinyModel.all)
    func logitsAreBitwiseEqualOnEveryCPULevel(_ m: TinyModel) throws {
        let bits = { (runs: [[Float]]) in runs.map { $0.map(\.bitPattern) } }
        let detected = bits(try Self.run(m, threads: 2))
        defer { pk_set_cpu_level(-1) }
        for level in 0..<pk_detected_cpu_level() {
            pk_set_cpu_level(level)
            let other = bits(try Self.run(m, threads: 2))
            #expect(other == detected, "\(m): level \(String(cString: pk_cpu_level_name(level)))")
        }
    }

    /// Batched and single-token steps run the same kernels on the same per-token
    /// quantized activations, so they agree to the last bit; the tolerance only states
    /// what the contract is (a prefill that sums in another order may differ slightly).
    static let batchTolerance: Float = 1e-4

    @Test(arguments: TinyModel.all)
    func prefillEqualsSingleTokenSteps(_ m: TinyModel) throws {
        let ids = Self.tokens(m, 10, seed: 11)
        let transformer = try Transformer(gguf: try m.load(), threads: 2, maxBatch: 4)   // batches of 4, 4, 2
        let batched = KVCache(config: transformer.config, capacity: 16)
        let prefill = Array(try transformer.forward(ids, cache: batched))
        let single = KVCache(config: transformer.config, capacity: 16)
        var last: [Float] = []
        for t in ids { last = Array(try transformer.forward([t], cache: single)) }
        let error = Self.relativeError(prefill, last)
        #expect(error <= Self.batchTolerance, "\(m): prefill vs single steps \(error)")
        #expect(batched.tokens == single.tokens && batched.count == ids.count)
        // the caches themselves hold the same keys and values
        let n = transformer.config.layerCount * batched.capacity * batched.kvDim
        #expect((0..<n).allSatisfy { batched.keys[$0] == single.keys[$0] && batched.values[$0] == single.values[$0] })
    }

    @Test(arguments: TinyModel.all)
    func prefixReuseGivesTheSameLogits(_ m: TinyModel) throws {
        let transformer = try Transformer(gguf: try m.load(), threads: 2)
        let prefix = Self.tokens(m, 5, seed: 1), oldTurn = Self.tokens(m, 4, seed: 2), newTurn = Self.tokens(m, 3, seed: 5)
        // fresh: prefix, then the new turn
        let fresh = KVCache(config: transformer.config, capacity: 32)
        _ = try transformer.forward(prefix, cache: fresh)
        let expected = Array(try transformer.forward(newTurn, cache: fresh))
        let expectedNext = Array(try transformer.forward([newTurn[0]], cache: fresh))
        // reused: prefix and an old turn, cut back to the shared prefix, then the new turn
        let reused = KVCache(config: transformer.config, capacity: 32)
        _ = try transformer.forward(prefix, cache: reused)
        _ = try transformer.forward(oldTurn, cache: reused)
        let keep = reused.commonPrefix(with: prefix + newTurn)
        #expect(keep >= prefix.count)
        reused.truncate(to: prefix.count)
        #expect(reused.count == prefix.count && reused.tokens == prefix)
        let continued = Array(try transformer.forward(newTurn, cache: reused))
        let next = Array(try transformer.forward([newTurn[0]], cache: reused))
        #expect(continued == expected && next == expectedNext)
        #expect(reused.tokens == fresh.tokens)
    }

    @Test func outlivesTheGGUFFileObject() throws {
        // the transformer keeps the mapping alive: weights are read from it on every call
        let transformer = try Transformer(gguf: try TinyModel.llama.load(), threads: 2)
        let cache = KVCache(config: transformer.config, capacity: 8)
        let logits = try transformer.forward(Self.tokens(.llama, 3), cache: cache)
        #expect(logits.allSatisfy { $0.isFinite })
    }

    // MARK: bad inputs

    static func expectError(_ kind: ErrorKind, _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("no error thrown", sourceLocation: sourceLocation)
        } catch let e as RuntimeError {
            #expect(e.kind == kind, "\(e.message)", sourceLocation: sourceLocation)
        } catch let e as GGUFError {
            #expect(e.kind == kind, "\(e.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func tokenIdsOutsideTheVocabularyAreRejected() throws {
        let m = TinyModel.llama
        let transformer = try Transformer(gguf: try m.load(), threads: 2)
        let cache = KVCache(config: transformer.config, capacity: 8)
        Self.expectError(.invalidArgument) { _ = try transformer.forward([1, Int32(m.vocab)], cache: cache) }
        Self.expectError(.invalidArgument) { _ = try transformer.forward([-1], cache: cache) }
        Self.expectError(.invalidArgument) { _ = try transformer.forward([], cache: cache) }
        #expect(cache.count == 0 && cache.tokens.isEmpty)
        _ = try transformer.forward([Int32(m.vocab - 1)], cache: cache)
        #expect(cache.count == 1)
    }

    @Test func contextOverflowIsAnError() throws {
        let transformer = try Transformer(gguf: try TinyModel.gemma3.load(), threads: 2, maxContext: 6)
        let small = KVCache(config: transformer.config, capacity: 4)
        Self.expectError(.invalidState) { _ = try transformer.forward([1, 2, 3, 4, 5], cache: small) }
        #expect(small.count == 0)
        _ = try transformer.forward([1, 2, 3], cache: small)
        _ = try transformer.forward([4], cache: small)
        Self.expectError(.invalidState) { _ = try transformer.forward([5], cache: small) }
        #expect(small.count == 4 && small.tokens == [1, 2, 3, 4])
        // the transformer's own context limit applies to larger caches too
        let large = KVCache(config: transformer.config, capacity: 100)
        Self.expectError(.invalidState) { _ = try transformer.forward(Array(repeating: 1, count: 7), cache: large) }
    }

    @Test func aCacheOfAnotherModelIsRejected() throws {
        let llama = try Transformer(gguf: try TinyModel.llama.load(), threads: 1)
        let qwen = try Transformer(gguf: try TinyModel.qwen2.load(), threads: 1)
        let foreign = KVCache(config: qwen.config, capacity: 8)
        Self.expectError(.invalidArgument) { _ = try llama.forward([1], cache: foreign) }
    }

    @Test func wrongArchitectureIsAnError() throws {
        var unknown = TinyModel.llama.builder()
        unknown.set("general.architecture", .string("mamba"))
        Self.expectError(.unsupportedModel) { _ = try Transformer(gguf: try unknown.load(), threads: 1) }
        // llama tensors labelled qwen2: the q/k/v biases qwen2 needs are missing
        var relabelled = GGUFBuilder()
        for (key, value) in TinyModel.llama.builder().metadata {
            relabelled.set(key.replacingOccurrences(of: "llama.", with: "qwen2."), value)
        }
        relabelled.set("general.architecture", .string("qwen2"))
        for t in TinyModel.llama.builder().tensors { relabelled.addTensor(t.name, dims: t.dims, type: GGMLType(rawValue: t.type)!, bytes: t.data) }
        Self.expectError(.badModel) { _ = try Transformer(gguf: try relabelled.load(), threads: 1) }
    }

    @Test func missingOrMisshapedTensorsAreErrors() throws {
        var missing = TinyModel.qwen2.builder()
        missing.removeTensor(TensorName.block(1, "ffn_down.weight"))
        Self.expectError(.badModel) { _ = try Transformer(gguf: try missing.load(), threads: 1) }
        var misshaped = TinyModel.llama.builder()
        misshaped.set("llama.feed_forward_length", .uint32(192))
        Self.expectError(.badModel) { _ = try Transformer(gguf: try misshaped.load(), threads: 1) }
    }

    @Test func truncatedFilesAreErrors() throws {
        let bytes = TinyModel.gemma3.builder().build()
        // in the header, the metadata, the tensor table and the tensor data
        for cut in [3, 20, 200, bytes.count / 2, bytes.count - 1] {
            Self.expectError(.badModel) { _ = try GGUFBuilder.parse(Array(bytes[0..<cut])) }
        }
    }

    /// TokenStream hands a token back before running it through the model (its text
    /// reaches the voice a forward pass sooner) and runs it at the next call: the
    /// tokens are the ones a forward-then-return loop gives.
    @Test func tokenStreamRunsEachTokenAtTheNextCall() throws {
        let m = TinyModel.all[0]
        let transformer = try Transformer(gguf: try m.load(), threads: 1)
        let prompt = Self.tokens(m, 6)
        let eager = KVCache(config: transformer.config, capacity: 32)
        var logits = Array(try transformer.forward(prompt, cache: eager))
        var expected: [Int32] = []
        for _ in 0..<5 {
            let next = Int32(logits.indices.max { logits[$0] < logits[$1] }!)
            expected.append(next)
            logits = Array(try transformer.forward([next], cache: eager))
        }
        let cache = KVCache(config: transformer.config, capacity: 32)
        var stream = try TokenStream(transformer: transformer, cache: cache, prompt: prompt, sampler: Sampler(.greedy),
                                     stopTokens: [], maxTokens: 5)
        var got: [Int32] = []
        while let t = try stream.next() {
            got.append(t)
            #expect(cache.count == prompt.count + got.count - 1, "the token just returned is not in the cache yet")
        }
        #expect(got == expected)
        #expect(cache.tokens == prompt + expected.dropLast(), "the last token (budget reached) is never run")
    }
}
