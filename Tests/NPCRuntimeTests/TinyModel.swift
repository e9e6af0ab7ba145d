import Foundation
import Kernels
@testable import NPCRuntime

/// A small random transformer of one architecture, written as GGUF v3 in memory, and
/// a plain float forward pass over the same weights (dequantized with
/// pk_dequantize_row, straightforward loops, no quantized activations, no fp16 cache)
/// that the optimized `Transformer` is checked against.
struct TinyModel: CustomStringConvertible, Sendable {
    let arch: String
    let layers: Int
    let dim: Int
    let ffn: Int
    let heads: Int
    let kvHeads: Int
    let headDim: Int
    let vocab: Int
    /// Sliding window of the local layers (gemma3); 0: none.
    let window: Int
    /// Weight types: attention q, k, v, o; ffn gate, up, down; embedding; output head (nil: tied).
    let types: (q: GGMLType, k: GGMLType, v: GGMLType, o: GGMLType,
                gate: GGMLType, up: GGMLType, down: GGMLType, embedding: GGMLType, output: GGMLType?)
    var description: String { arch }

    var qDim: Int { heads * headDim }
    var kvDim: Int { kvHeads * headDim }
    var ropeBase: Float { arch == "llama" ? 100_000 : 1_000_000 }
    var eps: Float { arch == "llama" ? 1e-5 : 1e-6 }

    /// llama as SmolLM2 stores it: Q4_1 matrices, tied Q8_0 embedding; odd block counts (dim 96 = 3 blocks).
    static let llama = TinyModel(arch: "llama", layers: 2, dim: 96, ffn: 160, heads: 6, kvHeads: 2, headDim: 16,
                                 vocab: 67, window: 0,
                                 types: (.q4_1, .q4_1, .q4_1, .q4_1, .q4_1, .q4_1, .q4_1, .q8_0, nil))
    /// qwen2: q/k/v biases; K-quant FFN, float K/V projections, a separate Q6_K output head.
    static let qwen2 = TinyModel(arch: "qwen2", layers: 2, dim: 256, ffn: 512, heads: 4, kvHeads: 2, headDim: 64,
                                 vocab: 61, window: 0,
                                 types: (.q5_0, .f16, .f32, .q5_0, .q4_K, .q4_K, .q6_K, .q8_0, .q6_K))
    /// gemma3: QK-norm, post-norms, GELU, scaled embedding, head size ≠ dim/heads, sliding
    /// window 2 on local layers (both layers of two are local: the global one is every 6th).
    static let gemma3 = TinyModel(arch: "gemma3", layers: 2, dim: 256, ffn: 512, heads: 4, kvHeads: 1, headDim: 48,
                                  vocab: 73, window: 2,
                                  types: (.q5_0, .q8_0, .q5_0, .q8_0, .q4_K, .q4_K, .q6_K, .q8_0, nil))
    static let all = [llama, qwen2, gemma3]

    // MARK: the file

    /// The model as a GGUF builder (tests may edit it before building).
    func builder(seed: UInt64 = 7) -> GGUFBuilder {
        var rng = SplitMix64(seed: seed)
        var g = GGUFBuilder()
        g.set("general.architecture", .string(arch))
        g.set("\(arch).block_count", .uint32(UInt32(layers)))
        g.set("\(arch).context_length", .uint32(2048))
        g.set("\(arch).embedding_length", .uint32(UInt32(dim)))
        g.set("\(arch).feed_forward_length", .uint32(UInt32(ffn)))
        g.set("\(arch).attention.head_count", .uint32(UInt32(heads)))
        g.set("\(arch).attention.head_count_kv", .uint32(UInt32(kvHeads)))
        g.set("\(arch).attention.layer_norm_rms_epsilon", .float32(eps))
        g.set("\(arch).rope.freq_base", .float32(ropeBase))
        if headDim != dim / heads {
            g.set("\(arch).attention.key_length", .uint32(UInt32(headDim)))
            g.set("\(arch).attention.value_length", .uint32(UInt32(headDim)))
        }
        if window > 0 { g.set("\(arch).attention.sliding_window", .uint32(UInt32(window))) }

        func matrix(_ name: String, _ type: GGMLType, rows: Int, cols: Int) {
            g.addTensor(name, dims: [cols, rows], type: type, bytes: Self.randomRows(type, rows: rows, cols: cols, &rng))
        }
        func norm(_ name: String, _ n: Int) {
            g.addTensor(name, dims: [n], f32: (0..<n).map { _ in 0.7 + 0.6 * rng.nextFloat() })
        }
        func bias(_ name: String, _ n: Int) {
            g.addTensor(name, dims: [n], f32: (0..<n).map { _ in 0.4 * rng.nextFloat() - 0.2 })
        }
        matrix(TensorName.tokenEmbedding, types.embedding, rows: vocab, cols: dim)
        for l in 0..<layers {
            let b = { (s: String) in TensorName.block(l, s) }
            norm(b("attn_norm.weight"), dim)
            matrix(b("attn_q.weight"), types.q, rows: qDim, cols: dim)
            matrix(b("attn_k.weight"), types.k, rows: kvDim, cols: dim)
            matrix(b("attn_v.weight"), types.v, rows: kvDim, cols: dim)
            matrix(b("attn_output.weight"), types.o, rows: dim, cols: qDim)
            if arch == "qwen2" {
                bias(b("attn_q.bias"), qDim); bias(b("attn_k.bias"), kvDim); bias(b("attn_v.bias"), kvDim)
            }
            if arch == "gemma3" {
                norm(b("attn_q_norm.weight"), headDim); norm(b("attn_k_norm.weight"), headDim)
                norm(b("post_attention_norm.weight"), dim); norm(b("post_ffw_norm.weight"), dim)
            }
            norm(b("ffn_norm.weight"), dim)
            matrix(b("ffn_gate.weight"), types.gate, rows: ffn, cols: dim)
            matrix(b("ffn_up.weight"), types.up, rows: ffn, cols: dim)
            matrix(b("ffn_down.weight"), types.down, rows: dim, cols: ffn)
        }
        norm(TensorName.outputNorm, dim)
        if let output = types.output { matrix(TensorName.output, output, rows: vocab, cols: dim) }
        return g
    }

    func load(seed: UInt64 = 7) throws -> GGUFFile { try builder(seed: seed).load() }

    /// Random rows of a weight type: random quant bytes with fp16 scales sized so a
    /// weight is about ±0.05–0.1 (outputs stay O(1) for unit inputs).
    static func randomRows(_ type: GGMLType, rows: Int, cols: Int, _ rng: inout SplitMix64) -> [UInt8] {
        let count = rows * cols
        func half(_ v: Float) -> [UInt8] { let b = Float16(v).bitPattern; return [UInt8(b & 0xff), UInt8(b >> 8)] }
        func signedScale(_ m: Float) -> Float { (rng.next() & 1 == 0 ? -1 : 1) * m * (0.5 + rng.nextFloat()) }
        var out: [UInt8] = []
        switch type {
        case .f32:
            for _ in 0..<count {
                let bits = ((rng.nextFloat() * 2 - 1) * 0.1).bitPattern
                for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt32(k)))) }
            }
            return out
        case .f16:
            for _ in 0..<count { out += half((rng.nextFloat() * 2 - 1) * 0.1) }
            return out
        default: break
        }
        let blocks = count / type.blockSize
        for _ in 0..<blocks {
            var block = (0..<type.blockBytes).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            func put(_ bytes: [UInt8], _ at: Int) { block[at] = bytes[0]; block[at + 1] = bytes[1] }
            switch type {
            case .q4_0, .q5_0: put(half(signedScale(0.01)), 0)                       // (q − 8 or 16)·d
            case .q8_0: put(half(signedScale(0.0007)), 0)                            // q·d, |q| ≤ 127
            case .q4_1: put(half(0.012 * (0.5 + rng.nextFloat())), 0); put(half(-0.09), 2)  // q·d + m
            case .q4_K: put(half(0.0002 * (0.5 + rng.nextFloat())), 0); put(half(0.0015), 2)  // mins cancel the mean
            case .q6_K:
                for j in 0..<16 { block[192 + j] = UInt8(bitPattern: Int8(truncatingIfNeeded: Int(rng.next() % 64) - 32)) }
                put(half(signedScale(0.0001)), 208)
            default: preconditionFailure("TinyModel has no generator for \(type.name)")
            }
            out += block
        }
        return out
    }

    // MARK: reference forward pass

    /// Logits (vocab) after each token of `tokens`, starting from an empty context.
    /// `trace` sees the intermediate values of each token under the transformer tracer's
    /// names (llama.cpp's), for finding where the two paths part.
    func referenceLogits(_ gguf: GGUFFile, tokens: [Int32], trace: ((String, [Float]) -> Void)? = nil) -> [[Float]] {
        /// A matrix as floats, with the block size its activations are rounded to (1: none).
        struct Matrix { let w: [Float]; let block: Int }
        func tensor(_ name: String) -> [Float] { matrix(name).w }
        func matrix(_ name: String) -> Matrix {
            guard let t = gguf.tensor(name) else { preconditionFailure("missing \(name)") }
            var out = [Float](repeating: 0, count: t.elementCount)
            out.withUnsafeMutableBufferPointer {
                pk_dequantize_row(Int32(t.type.rawValue), gguf.data(of: t), $0.baseAddress, Int32(t.elementCount))
            }
            return Matrix(w: out, block: t.type.blockSize)
        }
        // The one approximation the kernels' contract makes on purpose: activations go in
        // as int8 per block of the weight type (d = max|x|/127, q = round(x/d)). Without it
        // the comparison's noise floor (~2% of the logits' RMS) would hide real mistakes.
        func roundedActivations(_ x: [Float], block: Int) -> [Float] {
            guard block > 1 else { return x }
            var y = x
            for start in stride(from: 0, to: x.count, by: block) {
                let amax = x[start..<start + block].map(abs).max()!
                let d = amax / 127
                for i in start..<start + block where d > 0 { y[i] = (x[i] / d).rounded(.toNearestOrEven) * d }
            }
            return y
        }
        func matvec(_ m: Matrix, _ input: [Float]) -> [Float] {
            let x = roundedActivations(input, block: m.block)
            let cols = x.count, rows = m.w.count / cols
            return (0..<rows).map { r in
                var s: Float = 0
                for c in 0..<cols { s += m.w[r * cols + c] * x[c] }
                return s
            }
        }
        func rmsNorm(_ x: [Float], _ w: [Float]) -> [Float] {
            let ms = x.reduce(Float(0)) { $0 + $1 * $1 } / Float(x.count)
            let inv = 1 / (ms + eps).squareRoot()
            return zip(x, w).map { $0 * inv * $1 }
        }
        func rope(_ v: inout [Float], heads: Int, pos: Int, base: Float) {
            let half = headDim / 2
            for h in 0..<heads {
                for p in 0..<half {
                    let theta = Double(pos) * pow(Double(base), -2 * Double(p) / Double(headDim))
                    let (a, b) = arch == "llama" ? (h * headDim + 2 * p, h * headDim + 2 * p + 1)
                                                 : (h * headDim + p, h * headDim + p + half)
                    let x0 = v[a], x1 = v[b]
                    v[a] = x0 * Float(cos(theta)) - x1 * Float(sin(theta))
                    v[b] = x0 * Float(sin(theta)) + x1 * Float(cos(theta))
                }
            }
        }
        let embedding = tensor(TensorName.tokenEmbedding)
        let output = matrix(types.output == nil ? TensorName.tokenEmbedding : TensorName.output)
        let outputNorm = tensor(TensorName.outputNorm)
        let w = (0..<layers).map { l in
            ["attn_norm.weight", "attn_q.weight", "attn_k.weight", "attn_v.weight", "attn_output.weight",
             "attn_q.bias", "attn_k.bias", "attn_v.bias", "attn_q_norm.weight", "attn_k_norm.weight",
             "post_attention_norm.weight", "ffn_norm.weight", "ffn_gate.weight", "ffn_up.weight",
             "ffn_down.weight", "post_ffw_norm.weight"].reduce(into: [String: Matrix]()) { d, s in
                if gguf.tensor(TensorName.block(l, s)) != nil { d[s] = matrix(TensorName.block(l, s)) }
            }
        }
        var keys = [[[Float]]](repeating: [], count: layers), values = keys   // (layer, pos, kvDim)
        var result: [[Float]] = []
        for (pos, token) in tokens.enumerated() {
            var x = Array(embedding[Int(token) * dim..<(Int(token) + 1) * dim])
            if arch == "gemma3" { x = x.map { $0 * Float(dim).squareRoot() } }
            for l in 0..<layers {
                let lw = w[l]
                let local = arch == "gemma3" && (l + 1) % 6 != 0
                let h = rmsNorm(x, lw["attn_norm.weight"]!.w)
                trace?("attn_norm-\(l)", h)
                var q = matvec(lw["attn_q.weight"]!, h), k = matvec(lw["attn_k.weight"]!, h)
                var v = matvec(lw["attn_v.weight"]!, h)
                if let bq = lw["attn_q.bias"]?.w, let bk = lw["attn_k.bias"]?.w, let bv = lw["attn_v.bias"]?.w {
                    q = zip(q, bq).map(+); k = zip(k, bk).map(+); v = zip(v, bv).map(+)
                }
                if let qn = lw["attn_q_norm.weight"]?.w, let kn = lw["attn_k_norm.weight"]?.w {
                    q = (0..<heads).flatMap { rmsNorm(Array(q[$0 * headDim..<($0 + 1) * headDim]), qn) }
                    k = (0..<kvHeads).flatMap { rmsNorm(Array(k[$0 * headDim..<($0 + 1) * headDim]), kn) }
                }
                let base: Float = local ? 10_000 : ropeBase
                rope(&q, heads: heads, pos: pos, base: base)
                rope(&k, heads: kvHeads, pos: pos, base: base)
                trace?("Qcur-\(l)", q); trace?("Kcur-\(l)", k); trace?("Vcur-\(l)", v)
                keys[l].append(k); values[l].append(v)
                // softmax(q·k / √headDim) · v over the visible positions, per head
                let lo = local && window > 0 ? max(0, pos - window + 1) : 0
                var att = [Float](repeating: 0, count: qDim)
                for hq in 0..<heads {
                    let kvh = hq / (heads / kvHeads)
                    let scores = (lo...pos).map { j -> Float in
                        var s: Float = 0
                        for d in 0..<headDim { s += q[hq * headDim + d] * keys[l][j][kvh * headDim + d] }
                        return s / Float(headDim).squareRoot()
                    }
                    let m = scores.max()!
                    let e = scores.map { expf($0 - m) }
                    let sum = e.reduce(0, +)
                    for (i, j) in (lo...pos).enumerated() {
                        for d in 0..<headDim { att[hq * headDim + d] += e[i] / sum * values[l][j][kvh * headDim + d] }
                    }
                }
                trace?("kqv_out-\(l)", att)
                var o = matvec(lw["attn_output.weight"]!, att)
                if let pn = lw["post_attention_norm.weight"]?.w { o = rmsNorm(o, pn) }
                x = zip(x, o).map(+)
                let f = rmsNorm(x, lw["ffn_norm.weight"]!.w)
                trace?("ffn_norm-\(l)", f)
                let gate = matvec(lw["ffn_gate.weight"]!, f), up = matvec(lw["ffn_up.weight"]!, f)
                let act = zip(gate, up).map { g, u -> Float in
                    if arch == "gemma3" {
                        return 0.5 * g * (1 + tanhf(0.797_884_56 * (g + 0.044_715 * g * g * g))) * u
                    }
                    return g / (1 + expf(-g)) * u
                }
                trace?("ffn_act-\(l)", act)
                var down = matvec(lw["ffn_down.weight"]!, act)
                if let pn = lw["post_ffw_norm.weight"]?.w { down = rmsNorm(down, pn) }
                x = zip(x, down).map(+)
                trace?("l_out-\(l)", x)
            }
            let normed = rmsNorm(x, outputNorm)
            trace?("result_norm", normed)
            result.append(matvec(output, normed))
            trace?("result_output", result[result.count - 1])
        }
        return result
    }
}
