import Kernels
#if canImport(Glibc)
import Glibc
#endif

/// The forward pass of a decoder-only transformer (llama, qwen2, gemma3), on
/// quantized weights in the mmap. One `Transformer` serves many sequences (one
/// KV cache each), one call at a time: the scratch below is shared.
public final class Transformer: @unchecked Sendable {
    public let config: ModelConfig
    public let weights: ModelWeights
    public let pool: ThreadPool
    /// The file whose mapping the weights point into (kept alive with the transformer).
    public let gguf: GGUFFile
    /// Tokens processed per batched step of a prefill.
    public let maxBatch: Int
    private let s: Scratch
    private let plans: [LayerPlan]
    private let head: FusedProjection
    /// Called with intermediate tensors (llama.cpp's names, e.g. "attn_norm-3"; values
    /// (tokens, width)) for finding the first op that departs from a reference. nil: no cost.
    public var tracer: ((String, UnsafeBufferPointer<Float>) -> Void)?

    public init(gguf: GGUFFile, threads: Int, maxBatch: Int = 128, maxContext: Int = 4096) throws(RuntimeError) {
        self.gguf = gguf
        config = try ModelConfig(gguf: gguf)
        weights = try ModelWeights(gguf: gguf, config: config)
        pool = ThreadPool(count: threads)
        self.maxBatch = max(1, maxBatch)
        s = Scratch(config: config, batch: self.maxBatch, context: maxContext, participants: pool.activeCount)
        plans = weights.layers.map { [s, pool] in LayerPlan($0, s, threads: pool.activeCount) }
        head = FusedProjection([.init(w: weights.output, out: s.logits)], target: pool.activeCount > 1 ? 8 * pool.activeCount : 1)
    }

    /// Runs `tokens` at positions cache.count…, appends their keys/values to the
    /// cache, and returns the logits (vocab) after the last token. The buffer is
    /// valid until the next call.
    public func forward(_ tokens: [Int32], cache: KVCache) throws(RuntimeError) -> UnsafeBufferPointer<Float> {
        guard !tokens.isEmpty else { throw RuntimeError(.invalidArgument, "forward: no tokens") }
        guard cache.layerCount == config.layerCount, cache.kvDim == config.kvDim else {
            throw RuntimeError(.invalidArgument,
                               "forward: the cache was made for another model (\(cache.layerCount) layers × \(cache.kvDim), " +
                               "this one has \(config.layerCount) × \(config.kvDim))")
        }
        guard cache.count + tokens.count <= min(cache.capacity, s.context) else {
            throw RuntimeError(.invalidState,
                               "context full: \(cache.count) + \(tokens.count) tokens exceed \(min(cache.capacity, s.context))")
        }
        for t in tokens where t < 0 || Int(t) >= config.vocabSize {
            throw RuntimeError(.invalidArgument, "token id \(t) is outside the vocabulary (\(config.vocabSize))")
        }
        var start = 0
        while start < tokens.count {
            let n = min(maxBatch, tokens.count - start)
            step(tokens[start..<start + n], cache: cache, isLast: start + n == tokens.count)
            start += n
        }
        return UnsafeBufferPointer(start: s.logits, count: config.vocabSize)
    }

    /// The name is built only when a tracer is set (decode calls this hundreds of times a token).
    @inline(__always) private func trace(_ name: @autoclosure () -> String, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
        if let tracer { tracer(name(), UnsafeBufferPointer(start: p, count: count)) }
    }

    /// Runs body(i) for each token of a batch: on the pool for a prefill, inline for one token.
    @inline(__always) private func eachToken(_ b: Int, _ body: (Int) -> Void) {
        pool.run(chunks: b) { i, _ in body(i) }
    }

    /// Runs every chunk of `p` over a batch of b vectors: row chunks × vector ranges.
    @inline(__always) private func project(_ p: FusedProjection, count b: Int,
                                           _ body: (_ chunk: Int, _ vectors: Range<Int>) -> Void) {
        let split = FusedProjection.vectorSplit(b, threads: pool.activeCount)
        pool.run(chunks: p.chunks.count * split) { c, _ in
            body(c / split, FusedProjection.vectors(c % split, of: split, count: b))
        }
    }

    /// One batch of `b` tokens through every layer. Shapes: x, xb (b, dim); q, att (b, qDim);
    /// k, v (b, kvDim); hb, hb2 (b, ffn).
    private func step(_ tokens: ArraySlice<Int32>, cache: KVCache, isLast: Bool) {
        let c = config, b = tokens.count, pos0 = cache.count
        let dim = c.dim, act = s.act, hidden = s.hiddenAct

        // token embeddings (× sqrt(dim) for gemma), RoPE angles of each position
        eachToken(b) { i in
            weights.embedding.dequantizeRow(Int(tokens[tokens.startIndex + i]), into: s.x + i * dim)
            if c.architecture.scaleEmbedding { VectorMath.scale(s.x + i * dim, count: dim, by: Float(dim).squareRoot()) }
            s.prepareRope(token: i, position: pos0 + i)
        }
        trace("inp_scaled", s.x, b * dim)

        for (l, w) in weights.layers.enumerated() {
            let plan = plans[l]
            // attention rmsnorm, quantized once per activation format Q, K and V read
            eachToken(b) { i in
                rmsNorm(s.xb + i * dim, s.x + i * dim, w.attnNorm, dim, c.normEps)
                act.quantize(s.xb + i * dim, vector: i, count: dim, formats: plan.qkv.formats)
            }
            trace("attn_norm-\(l)", s.xb, b * dim)
            // q, k, v projections, one dispatch
            project(plan.qkv, count: b) { ch, vs in plan.qkv.run(chunk: ch, vectors: vs, act, input: s.xb) }
            // bias (qwen2), per-head rmsnorm of q and k (gemma3), rotary embedding; k, v into the cache
            let local = c.isLocal(layer: l)
            eachToken(b) { i in
                let q = s.q + i * c.qDim, k = s.k + i * c.kvDim, v = s.v + i * c.kvDim
                if let bq = w.bq, let bk = w.bk, let bv = w.bv { add(q, bq); add(k, bk); add(v, bv) }
                if let qn = w.qNorm, let kn = w.kNorm {
                    for h in 0..<c.headCount { rmsNorm(q + h * c.headDim, q + h * c.headDim, qn, c.headDim, c.normEps) }
                    for h in 0..<c.kvHeadCount { rmsNorm(k + h * c.headDim, k + h * c.headDim, kn, c.headDim, c.normEps) }
                }
                s.rotate(q, heads: c.headCount, token: i, local: local, config: c)
                s.rotate(k, heads: c.kvHeadCount, token: i, local: local, config: c)
                pk_f32_to_f16_row(k, cache.key(layer: l, pos: pos0 + i), Int32(c.kvDim))
                pk_f32_to_f16_row(v, cache.value(layer: l, pos: pos0 + i), Int32(c.kvDim))
            }
            trace("Qcur-\(l)", s.q, b * c.qDim)
            trace("Kcur-\(l)", s.k, b * c.kvDim)
            trace("Vcur-\(l)", s.v, b * c.kvDim)
            // causal self-attention over the cache (sliding window on local layers)
            attention(layer: l, cache: cache, pos0: pos0, count: b, window: local ? c.slidingWindow : 0)
            trace("kqv_out-\(l)", s.att, b * c.qDim)
            // output projection
            eachToken(b) { i in act.quantize(s.att + i * c.qDim, vector: i, count: c.qDim, formats: plan.wo.formats) }
            project(plan.wo, count: b) { ch, vs in plan.wo.run(chunk: ch, vectors: vs, act, input: s.att) }
            // post-norm (gemma3), residual, ffn rmsnorm
            eachToken(b) { i in
                let xb = s.xb + i * dim, x = s.x + i * dim
                if let pn = w.postAttnNorm { rmsNorm(xb, xb, pn, dim, c.normEps) }
                VectorMath.add(xb, into: x, count: dim)
                rmsNorm(xb, x, w.ffnNorm, dim, c.normEps)
                act.quantize(xb, vector: i, count: dim, formats: plan.gateUp.formats)
            }
            trace("ffn_norm-\(l)", s.xb, b * dim)
            // gated ffn: down(act(gate(x)) * up(x)); one dispatch computes gate and up rows,
            // the activation and its quantization for down, chunk by chunk
            let gate = plan.gateUp.parts[0], up = plan.gateUp.parts[1]
            project(plan.gateUp, count: b) { ch, vs in
                let r = plan.gateUp.chunks[ch]
                FusedProjection.product(gate, rows: r.lo..<r.hi, vectors: vs, act, input: s.xb)
                FusedProjection.product(up, rows: r.lo..<r.hi, vectors: vs, act, input: s.xb)
                for i in vs {
                    let h = s.hb + i * c.ffnDim
                    gatedActivation(h + r.lo, s.hb2 + i * c.ffnDim + r.lo, r.hi - r.lo, c.architecture.activation)
                    hidden.quantize(h, vector: i, range: r.lo, r.hi, for: w.down)
                }
            }
            trace("ffn_act-\(l)", s.hb, b * c.ffnDim)
            project(plan.down, count: b) { ch, vs in plan.down.run(chunk: ch, vectors: vs, hidden, input: s.hb) }
            // post-norm (gemma3), residual
            eachToken(b) { i in
                let xb = s.xb + i * dim
                if let pn = w.postFfnNorm { rmsNorm(xb, xb, pn, dim, c.normEps) }
                VectorMath.add(xb, into: s.x + i * dim, count: dim)
            }
            trace("l_out-\(l)", s.x, b * dim)
        }
        cache.count = pos0 + b
        cache.tokens.append(contentsOf: tokens)

        guard isLast else { return }
        // final rmsnorm of the last token, then the output head
        rmsNorm(s.xb, s.x + (b - 1) * dim, weights.outputNorm, dim, c.normEps)
        trace("result_norm", s.xb, dim)
        act.quantize(s.xb, vector: 0, count: dim, formats: head.formats)
        pool.run(chunks: head.chunks.count) { ch, _ in head.run(chunk: ch, vectors: 0..<1, act, input: s.xb) }
        trace("result_output", s.logits, c.vocabSize)
    }

    /// att (b, qDim): for token i and head h, softmax(q·Kᵀ / √headDim) · V over
    /// positions max(0, p − window + 1)…p, p = pos0 + i. A chunk is one token and two
    /// consecutive query heads (the kernel interleaves them; they may read different
    /// key/value heads), or one head when pairs would not split evenly over the threads
    /// (decode: SmolLM2's 5 pairs on 2 threads left one waiting a pair's time per layer).
    /// A head gives the same bits alone or in a pair.
    private func attention(layer l: Int, cache: KVCache, pos0: Int, count b: Int, window: Int) {
        let c = config
        let headDim = c.headDim, perKV = c.headCount / c.kvHeadCount
        let pairs = (c.headCount + 1) / 2
        let perChunk = (b * pairs) % pool.activeCount == 0 ? 2 : 1
        let units = (c.headCount + perChunk - 1) / perChunk
        let scaleQK = 1 / Float(headDim).squareRoot()
        pool.run(chunks: b * units) { task, thread in
            let i = task / units, h = perChunk * (task % units)
            let p = pos0 + i
            let lo = window > 0 ? max(0, p - window + 1) : 0
            pk_attention_f16(s.q + i * c.qDim + h * headDim, Int32(h), Int32(min(perChunk, c.headCount - h)), Int32(perKV),
                             cache.key(layer: l, pos: lo), cache.value(layer: l, pos: lo),
                             cache.kvDim, Int32(p - lo + 1), Int32(headDim), scaleQK,
                             s.attentionScratch + thread * s.attentionScratchStride, s.att + i * c.qDim + h * headDim)
        }
    }
}

/// How one layer's products are cut into pool chunks (fixed per model and thread count).
struct LayerPlan {
    let qkv, wo, gateUp, down: FusedProjection

    init(_ w: LayerWeights, _ s: Scratch, threads: Int) {
        let target = threads > 1 ? 4 * threads : 1
        // rows in fours: the 32-element block kernels decode four rows per pass
        qkv = FusedProjection([.init(w: w.wq, out: s.q), .init(w: w.wk, out: s.k), .init(w: w.wv, out: s.v)], target: target,
                              rowMultiple: 4)
        wo = FusedProjection([.init(w: w.wo, out: s.xb)], target: target, rowMultiple: 4)
        // gate and up: chunks of whole activation blocks of down's input (and of 16, the
        // SwiGLU vector width), so each chunk can finish its part of the activation
        let format = Int(pk_act_format(w.down.kernelType))
        let block = format == Int(PK_ACT_Q8_256.rawValue) ? 256 : format == Int(PK_ACT_Q8_32.rawValue) ? 32 : 16
        gateUp = FusedProjection(pairedRows: .init(w: w.gate, out: s.hb), .init(w: w.up, out: s.hb2),
                                 target: target, rowMultiple: block)
        down = FusedProjection([.init(w: w.down, out: s.xb)], target: target, rowMultiple: 4)
    }
}

/// Buffers allocated once per Transformer; nothing is allocated inside `forward`.
final class Scratch {
    let batch: Int, context: Int
    let x, xb, q, k, v, att, hb, hb2, logits: UnsafeMutablePointer<Float>
    /// Attention scratch per pool thread (scores and softmax factors for `context` positions).
    let attentionScratch: UnsafeMutablePointer<Float>
    let attentionScratchStride: Int
    /// cos/sin per (token, pair) for the global and the local RoPE base: (batch, ropeDim/2).
    let cosGlobal, sinGlobal, cosLocal, sinLocal: UnsafeMutablePointer<Float>
    /// base^(−2p/ropeDim) per pair p for each base (empty when the model has no local base).
    let inverseGlobal, inverseLocal: [Double]
    /// Quantized inputs of the products; `hiddenAct` holds down's input, written while
    /// gate and up still read `act`.
    let act, hiddenAct: ActivationBuffers
    private var all: [UnsafeMutablePointer<Float>] = []

    init(config c: ModelConfig, batch: Int, context: Int, participants: Int) {
        self.batch = batch
        self.context = context
        func alloc(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, n))
            p.initialize(repeating: 0, count: max(1, n))
            return p
        }
        x = alloc(batch * c.dim); xb = alloc(batch * c.dim)
        q = alloc(batch * c.qDim); att = alloc(batch * c.qDim)
        k = alloc(batch * c.kvDim); v = alloc(batch * c.kvDim)
        hb = alloc(batch * c.ffnDim); hb2 = alloc(batch * c.ffnDim)
        logits = alloc(c.vocabSize)
        attentionScratchStride = Int(pk_attention_scratch_floats(Int32(context)))
        attentionScratch = alloc(participants * attentionScratchStride)
        let half = c.ropeDim / 2
        cosGlobal = alloc(batch * half); sinGlobal = alloc(batch * half)
        cosLocal = alloc(batch * half); sinLocal = alloc(batch * half)
        func inverse(_ base: Float) -> [Double] {
            base > 0 ? (0..<half).map { pow(Double(base), -2 * Double($0) / Double(c.ropeDim)) } : []
        }
        inverseGlobal = inverse(c.ropeBase)
        inverseLocal = inverse(c.architecture.localRopeBase)
        all = [x, xb, q, k, v, att, hb, hb2, logits, cosGlobal, sinGlobal, cosLocal, sinLocal, attentionScratch]
        act = ActivationBuffers(batch: batch, widest: max(c.dim, c.qDim))
        hiddenAct = ActivationBuffers(batch: batch, widest: c.ffnDim)
    }

    deinit {
        for p in all { p.deallocate() }
        act.deallocate()
        hiddenAct.deallocate()
    }

    /// Fills token i's cos/sin tables for its position: θ = pos · base^(−2p/ropeDim) for pair p.
    func prepareRope(token i: Int, position: Int) {
        let pos = Double(position)
        func fill(_ inverse: [Double], _ cosT: UnsafeMutablePointer<Float>, _ sinT: UnsafeMutablePointer<Float>) {
            for (p, f) in inverse.enumerated() {
                let theta = pos * f
                cosT[i * inverse.count + p] = Float(cos(theta))
                sinT[i * inverse.count + p] = Float(sin(theta))
            }
        }
        fill(inverseGlobal, cosGlobal, sinGlobal)
        fill(inverseLocal, cosLocal, sinLocal)
    }

    /// Rotates each head of one token's q or k in place (adjacent pairs or half split).
    func rotate(_ v: UnsafeMutablePointer<Float>, heads: Int, token: Int, local: Bool, config c: ModelConfig) {
        let half = c.ropeDim / 2
        let cosT = (local ? cosLocal : cosGlobal) + token * half
        let sinT = (local ? sinLocal : sinGlobal) + token * half
        for h in 0..<heads {
            let head = v + h * c.headDim
            for p in 0..<half {
                let (a, b) = c.architecture.ropeStyle == .adjacentPairs ? (2 * p, 2 * p + 1) : (p, p + half)
                let x0 = head[a], x1 = head[b]
                head[a] = x0 * cosT[p] - x1 * sinT[p]
                head[b] = x0 * sinT[p] + x1 * cosT[p]
            }
        }
    }
}
