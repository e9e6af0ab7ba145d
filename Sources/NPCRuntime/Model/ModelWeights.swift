import Glibc
import Kernels

/// A weight matrix left in the mmap: `rows` outputs × `cols` inputs of `type`
/// (GGUF dims [cols, rows], row-major by output).
public struct WeightMatrix: @unchecked Sendable {
    public let name: String
    public let base: UnsafeRawPointer
    public let type: GGMLType
    public let rows: Int
    public let cols: Int
    public let rowBytes: Int

    init(_ gguf: GGUFFile, _ name: String, rows: Int, cols: Int) throws(RuntimeError) {
        guard let t = gguf.tensor(name) else { throw RuntimeError(.badModel, "missing tensor \(name)") }
        guard t.dims.count == 2, t.dims[0] == cols, t.dims[1] == rows else {
            throw RuntimeError(.badModel, "tensor \(name) has shape \(t.dims), expected [\(cols), \(rows)]")
        }
        guard pk_type_supported(Int32(t.type.rawValue)) != 0 else {
            throw RuntimeError(.unsupportedModel, "tensor \(name): type \(t.type.name) is not supported by the kernels")
        }
        self.name = name
        base = gguf.data(of: t)
        type = t.type
        self.rows = rows
        self.cols = cols
        rowBytes = t.byteCount / rows
        kernelType = Int32(t.type.rawValue)
    }

    private init(_ m: WeightMatrix, base: UnsafeRawPointer, kernelType: Int32) {
        name = m.name
        self.base = base
        type = m.type
        rows = m.rows
        cols = m.cols
        rowBytes = m.rowBytes
        self.kernelType = kernelType
    }

    /// The layout the kernels read: the file's type, or a layout made at load (PK_Q5_0_T8, PK_Q4_1_T8).
    public let kernelType: Int32

    /// This matrix in the layout the CPU level multiplies fastest, copied into `store`; itself
    /// when there is none. Q5_0 and Q4_1 at the SIMD levels are rewritten in their T8 layouts
    /// (same bytes, same sums): blocks stored side by side as the canonical sums want them, so
    /// decode folds nothing and prefill transposes nothing. Only for matrices the products
    /// read, never for a lookup table (dequantizeRow needs the file's rows).
    func repacked(into store: RepackedWeights) -> WeightMatrix {
        guard type == .q5_0 || type == .q4_1, pk_cpu_level() >= Int32(PK_CPU_AVX2.rawValue) else { return self }
        let bytes = rows * rowBytes
        let copy = store.allocate(bytes)
        let layout = pk_repack(kernelType, base, rowBytes, Int32(rows), Int32(cols), copy)
        guard layout >= 0 else {
            store.release(copy)
            return self
        }
        store.forget(base, bytes)
        return WeightMatrix(self, base: UnsafeRawPointer(copy), kernelType: layout)
    }

    /// Row `r` as floats (embedding lookup).
    public func dequantizeRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        pk_dequantize_row(kernelType, base + r * rowBytes, out, Int32(cols))
    }
}

/// Matrices rewritten at load (WeightMatrix.repacked); freed with the model.
public final class RepackedWeights: @unchecked Sendable {
    private var buffers: [UnsafeMutableRawPointer] = []

    func allocate(_ bytes: Int) -> UnsafeMutableRawPointer {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(1, bytes), alignment: 64)
        buffers.append(p)
        return p
    }

    func release(_ p: UnsafeMutableRawPointer) {
        buffers.removeAll { $0 == p }
        p.deallocate()
    }

    /// The file's copy of a rewritten matrix is never read again: its whole pages leave the
    /// process (the mapping is private and read-only, so they come back from the file if touched).
    func forget(_ base: UnsafeRawPointer, _ bytes: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0 else { return }
        let start = (Int(bitPattern: base) + page - 1) / page * page, end = (Int(bitPattern: base) + bytes) / page * page
        guard end > start, let p = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(p, end - start, MADV_DONTNEED)
    }

    deinit { for b in buffers { b.deallocate() } }
}

/// Reads a small 1-D tensor (norm weights, biases) into floats.
func vector(_ gguf: GGUFFile, _ name: String, count: Int) throws(RuntimeError) -> [Float] {
    guard let t = gguf.tensor(name) else { throw RuntimeError(.badModel, "missing tensor \(name)") }
    guard t.elementCount == count else {
        throw RuntimeError(.badModel, "tensor \(name) has \(t.elementCount) values, expected \(count)")
    }
    guard pk_type_supported(Int32(t.type.rawValue)) != 0, count % t.type.blockSize == 0 else {
        throw RuntimeError(.unsupportedModel, "tensor \(name): type \(t.type.name) is not supported")
    }
    var out = [Float](repeating: 0, count: count)
    out.withUnsafeMutableBufferPointer { pk_dequantize_row(Int32(t.type.rawValue), gguf.data(of: t), $0.baseAddress, Int32(count)) }
    return out
}

func optionalVector(_ gguf: GGUFFile, _ name: String, count: Int, required: Bool) throws(RuntimeError) -> [Float]? {
    guard required else { return nil }
    return try vector(gguf, name, count: count)
}

public struct LayerWeights: Sendable {
    public let attnNorm: [Float]                       // (dim)
    public let wq, wk, wv, wo: WeightMatrix            // (qDim, dim) (kvDim, dim) (kvDim, dim) (dim, qDim)
    public let bq, bk, bv: [Float]?                    // (qDim) (kvDim) (kvDim), qwen2
    public let qNorm, kNorm: [Float]?                  // (headDim), gemma3
    public let postAttnNorm: [Float]?                  // (dim), gemma3
    public let ffnNorm: [Float]                        // (dim)
    public let gate, up, down: WeightMatrix            // (ffn, dim) (ffn, dim) (dim, ffn)
    public let postFfnNorm: [Float]?                   // (dim), gemma3
}

/// All weights of a model, described by its `ModelConfig`; matrices stay in the mmap,
/// except the ones rewritten for the CPU level at load (`WeightMatrix.repacked`).
public struct ModelWeights: Sendable {
    public let embedding: WeightMatrix                 // (vocab, dim)
    public let layers: [LayerWeights]
    public let outputNorm: [Float]                     // (dim)
    public let output: WeightMatrix                    // (vocab, dim); the embedding when tied
    /// Owns the layer matrices rewritten for this CPU level.
    let repackedStore = RepackedWeights()

    public init(gguf: GGUFFile, config c: ModelConfig) throws(RuntimeError) {
        let a = c.architecture
        let store = repackedStore
        embedding = try WeightMatrix(gguf, TensorName.tokenEmbedding, rows: c.vocabSize, cols: c.dim)
        var layers: [LayerWeights] = []
        for l in 0..<c.layerCount {
            func m(_ s: String, _ rows: Int, _ cols: Int) throws(RuntimeError) -> WeightMatrix {
                try WeightMatrix(gguf, TensorName.block(l, s), rows: rows, cols: cols).repacked(into: store)
            }
            func v(_ s: String, _ n: Int, _ present: Bool = true) throws(RuntimeError) -> [Float]? {
                try optionalVector(gguf, TensorName.block(l, s), count: n, required: present)
            }
            layers.append(LayerWeights(
                attnNorm: try vector(gguf, TensorName.block(l, "attn_norm.weight"), count: c.dim),
                wq: try m("attn_q.weight", c.qDim, c.dim),
                wk: try m("attn_k.weight", c.kvDim, c.dim),
                wv: try m("attn_v.weight", c.kvDim, c.dim),
                wo: try m("attn_output.weight", c.dim, c.qDim),
                bq: try v("attn_q.bias", c.qDim, a.qkvBias),
                bk: try v("attn_k.bias", c.kvDim, a.qkvBias),
                bv: try v("attn_v.bias", c.kvDim, a.qkvBias),
                qNorm: try v("attn_q_norm.weight", c.headDim, a.qkNorm),
                kNorm: try v("attn_k_norm.weight", c.headDim, a.qkNorm),
                postAttnNorm: try v("post_attention_norm.weight", c.dim, a.postNorms),
                ffnNorm: try vector(gguf, TensorName.block(l, "ffn_norm.weight"), count: c.dim),
                gate: try m("ffn_gate.weight", c.ffnDim, c.dim),
                up: try m("ffn_up.weight", c.ffnDim, c.dim),
                down: try m("ffn_down.weight", c.dim, c.ffnDim),
                postFfnNorm: try v("post_ffw_norm.weight", c.dim, a.postNorms)))
        }
        self.layers = layers
        outputNorm = try vector(gguf, TensorName.outputNorm, count: c.dim)
        output = gguf.tensor(TensorName.output) != nil
            ? try WeightMatrix(gguf, TensorName.output, rows: c.vocabSize, cols: c.dim)
            : embedding
    }

    /// Bytes of weights streamed per decoded token (all matrices, the output head, one embedding row).
    public var bytesPerToken: Int {
        var total = output.rows * output.rowBytes + embedding.rowBytes
        for l in layers {
            for w in [l.wq, l.wk, l.wv, l.wo, l.gate, l.up, l.down] { total += w.rows * w.rowBytes }
        }
        return total
    }
}
