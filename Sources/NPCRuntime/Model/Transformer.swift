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
    /// Called with intermediate tensors (llama.cpp's names, e.g. "attn_norm-3"; values
    /// (tokens, width)) for finding the first op that departs from a reference. nil: no cost.
    public var tracer: ((String, UnsafeBufferPointer<Float>) -> Void)?

    public init(gguf: GGUFFile, threads: Int, maxBatch: Int = 64, maxContext: Int = 4096) throws(RuntimeError) {
        self.gguf = gguf
        config = try ModelConfig(gguf: gguf)
        weights = try ModelWeights(gguf: gguf, config: config)
        pool = ThreadPool(count: threads)
        self.maxBatch = max(1, maxBatch)
        s = Scratch(config: config, batch: self.maxBatch, context: maxContext, participants: pool.activeCount)
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

    /// One batch of `b` tokens through every layer. Shapes: x, xb (b, dim); q, att (b, qDim);
    /// k, v (b, kvDim); hb, hb2 (b, ffn).
    @inline(__always) private func trace(_ name: String, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
        tracer?(name, UnsafeBufferPointer(start: p, count: count))
    }

    private func step(_ tokens: ArraySlice<Int32>, cache: KVCache, isLast: Bool) {
        let c = config, b = tokens.count, pos0 = cache.count
        let dim = c.dim

        // token embeddings (× sqrt(dim) for gemma)
        for (i, t) in tokens.enumerated() {
            weights.embedding.dequantizeRow(Int(t), into: s.x + i * dim)
            if c.architecture.scaleEmbedding { VectorMath.scale(s.x + i * dim, count: dim, by: Float(dim).squareRoot()) }
        }
        trace("inp_scaled", s.x, b * dim)
        s.prepareRope(config: c, pos0: pos0, count: b)

        for (l, w) in weights.layers.enumerated() {
            // attention rmsnorm
            for i in 0..<b { rmsNorm(s.xb + i * dim, s.x + i * dim, w.attnNorm, dim, c.normEps) }
            // q, k, v projections (+ bias)
            trace("attn_norm-\(l)", s.xb, b * dim)
            matmuls(input: s.xb, count: b, [(w.wq, s.q), (w.wk, s.k), (w.wv, s.v)])
            if let bq = w.bq, let bk = w.bk, let bv = w.bv {
                for i in 0..<b {
                    add(s.q + i * c.qDim, bq); add(s.k + i * c.kvDim, bk); add(s.v + i * c.kvDim, bv)
                }
            }
            // per-head rmsnorm of q and k (gemma3)
            if let qn = w.qNorm, let kn = w.kNorm {
                for h in 0..<(b * c.headCount) { rmsNorm(s.q + h * c.headDim, s.q + h * c.headDim, qn, c.headDim, c.normEps) }
                for h in 0..<(b * c.kvHeadCount) { rmsNorm(s.k + h * c.headDim, s.k + h * c.headDim, kn, c.headDim, c.normEps) }
            }
            // rotary position embedding
            let local = c.isLocal(layer: l)
            for i in 0..<b {
                s.rotate(s.q + i * c.qDim, heads: c.headCount, token: i, local: local, config: c)
                s.rotate(s.k + i * c.kvDim, heads: c.kvHeadCount, token: i, local: local, config: c)
            }
            trace("Qcur-\(l)", s.q, b * c.qDim)
            trace("Kcur-\(l)", s.k, b * c.kvDim)
            trace("Vcur-\(l)", s.v, b * c.kvDim)
            // append k, v to the cache
            for i in 0..<b {
                pk_f32_to_f16_row(s.k + i * c.kvDim, cache.key(layer: l, pos: pos0 + i), Int32(c.kvDim))
                pk_f32_to_f16_row(s.v + i * c.kvDim, cache.value(layer: l, pos: pos0 + i), Int32(c.kvDim))
            }
            // causal self-attention over the cache (sliding window on local layers)
            attention(layer: l, cache: cache, pos0: pos0, count: b, window: local ? c.slidingWindow : 0)
            // output projection, post-norm (gemma3), residual
            trace("kqv_out-\(l)", s.att, b * c.qDim)
            matmuls(input: s.att, count: b, [(w.wo, s.xb)])
            for i in 0..<b {
                if let pn = w.postAttnNorm { rmsNorm(s.xb + i * dim, s.xb + i * dim, pn, dim, c.normEps) }
                VectorMath.add(s.xb + i * dim, into: s.x + i * dim, count: dim)
            }
            // ffn rmsnorm
            for i in 0..<b { rmsNorm(s.xb + i * dim, s.x + i * dim, w.ffnNorm, dim, c.normEps) }
            // gated ffn: down(act(gate(x)) * up(x))
            matmuls(input: s.xb, count: b, [(w.gate, s.hb), (w.up, s.hb2)])
            trace("ffn_norm-\(l)", s.xb, b * dim)
            gatedActivation(s.hb, s.hb2, b * c.ffnDim, c.architecture.activation)
            trace("ffn_act-\(l)", s.hb, b * c.ffnDim)
            matmuls(input: s.hb, count: b, [(w.down, s.xb)])
            for i in 0..<b {
                if let pn = w.postFfnNorm { rmsNorm(s.xb + i * dim, s.xb + i * dim, pn, dim, c.normEps) }
                VectorMath.add(s.xb + i * dim, into: s.x + i * dim, count: dim)
            }
            trace("l_out-\(l)", s.x, b * dim)
        }
        cache.count = pos0 + b
        cache.tokens.append(contentsOf: tokens)

        guard isLast else { return }
        // final rmsnorm of the last token, then the output head
        rmsNorm(s.xb, s.x + (b - 1) * dim, weights.outputNorm, dim, c.normEps)
        trace("result_norm", s.xb, dim)
        matmuls(input: s.xb, count: 1, [(weights.output, s.logits)])
        trace("result_output", s.logits, c.vocabSize)
    }

    /// out_j = input_j · Wᵀ for each (W, out) pair; inputs (count, W.cols), outputs (count, W.rows).
    /// The inputs are quantized once per activation format; rows are split across threads.
    private func matmuls(input: UnsafeMutablePointer<Float>, count: Int, _ pairs: [(WeightMatrix, UnsafeMutablePointer<Float>)]) {
        var quantized: [Int32: UnsafeMutableRawPointer] = [:]
        for (w, out) in pairs {
            let format = pk_act_format(w.kernelType)
            let xq: UnsafeRawPointer
            let stride: Int
            if format == Int32(PK_ACT_F32.rawValue) {
                xq = UnsafeRawPointer(input)
                stride = w.cols * MemoryLayout<Float>.size
            } else {
                stride = pk_act_bytes(w.kernelType, Int32(w.cols))
                if let q = quantized[format] {
                    xq = UnsafeRawPointer(q)
                } else {
                    let q = s.activations(format: Int(format))
                    for j in 0..<count {
                        pk_quantize_act(w.kernelType, input + j * w.cols, q + j * stride, Int32(w.cols))
                    }
                    quantized[format] = q
                    xq = UnsafeRawPointer(q)
                }
            }
            pool.parallelFor(w.rows) { rows in
                pk_matmat(w.kernelType, w.base, w.rowBytes, Int32(w.cols), Int32(rows.lowerBound), Int32(rows.upperBound),
                          xq, stride, Int32(count), out, w.rows)
            }
        }
    }

    /// att (b, qDim): for token i and head h, softmax(q·Kᵀ / √headDim) · V over
    /// positions max(0, p − window + 1)…p, p = pos0 + i. One (token, head) pair per chunk.
    private func attention(layer l: Int, cache: KVCache, pos0: Int, count b: Int, window: Int) {
        let c = config
        let headDim = c.headDim, perKV = c.headCount / c.kvHeadCount
        let scaleQK = 1 / Float(headDim).squareRoot()
        let tasks = b * c.headCount
        pool.run(chunks: tasks) { task, thread in
            let i = task / c.headCount, h = task % c.headCount
            let p = pos0 + i
            let lo = window > 0 ? max(0, p - window + 1) : 0
            // q in fp16, as the peer converts it to the cache's type
            let q = s.q16 + thread * headDim
            pk_f32_to_f16_row(s.q + i * c.qDim + h * headDim, q, Int32(headDim))
            let kvOffset = (h / perKV) * headDim
            pk_attention_f16(q, cache.key(layer: l, pos: lo) + kvOffset, cache.value(layer: l, pos: lo) + kvOffset,
                             cache.kvDim, Int32(p - lo + 1), Int32(headDim), scaleQK,
                             s.acc16 + thread * headDim, s.att + i * c.qDim + h * headDim)
        }
    }
}

/// Buffers allocated once per Transformer; nothing is allocated inside `forward`.
final class Scratch {
    let batch: Int, context: Int
    let x, xb, q, k, v, att, hb, hb2, logits: UnsafeMutablePointer<Float>
    /// One fp16 query head and value accumulator per pool thread.
    let q16, acc16: UnsafeMutablePointer<UInt16>
    /// cos/sin per (token, pair) for the global and the local RoPE base: (batch, ropeDim/2).
    let cosGlobal, sinGlobal, cosLocal, sinLocal: UnsafeMutablePointer<Float>
    private var activationBuffers: [UnsafeMutableRawPointer] = []
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
        q16 = .allocate(capacity: participants * c.headDim)
        q16.initialize(repeating: 0, count: participants * c.headDim)
        acc16 = .allocate(capacity: participants * c.headDim)
        acc16.initialize(repeating: 0, count: participants * c.headDim)
        let half = c.ropeDim / 2
        cosGlobal = alloc(batch * half); sinGlobal = alloc(batch * half)
        cosLocal = alloc(batch * half); sinLocal = alloc(batch * half)
        all = [x, xb, q, k, v, att, hb, hb2, logits, cosGlobal, sinGlobal, cosLocal, sinLocal]
        // One buffer per activation format, sized for the widest input.
        let widest = Int32(max(c.dim, c.qDim, c.ffnDim))
        for type in [Int32(GGMLType.f32.rawValue), Int32(GGMLType.q8_0.rawValue), Int32(GGMLType.q4_K.rawValue)] {
            let bytes = batch * pk_act_bytes(type, widest + (256 - widest % 256) % 256)
            activationBuffers.append(.allocate(byteCount: max(64, bytes), alignment: 64))
        }
    }

    deinit {
        for p in all { p.deallocate() }
        q16.deallocate()
        acc16.deallocate()
        for p in activationBuffers { p.deallocate() }
    }

    func activations(format: Int) -> UnsafeMutableRawPointer { activationBuffers[min(format, activationBuffers.count - 1)] }

    /// Fills the cos/sin tables for positions pos0…pos0+count−1:
    /// θ = pos · base^(−2i/ropeDim) for pair i.
    func prepareRope(config c: ModelConfig, pos0: Int, count: Int) {
        let half = c.ropeDim / 2
        let bases: [(Float, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>)] =
            [(c.ropeBase, cosGlobal, sinGlobal), (c.architecture.localRopeBase, cosLocal, sinLocal)]
        for (base, cosT, sinT) in bases where base > 0 {
            for i in 0..<count {
                let pos = Double(pos0 + i)
                for p in 0..<half {
                    let theta = pos * pow(Double(base), -2 * Double(p) / Double(c.ropeDim))
                    cosT[i * half + p] = Float(cos(theta))
                    sinT[i * half + p] = Float(sin(theta))
                }
            }
        }
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
