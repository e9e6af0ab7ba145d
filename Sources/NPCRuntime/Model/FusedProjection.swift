import Kernels

/// Matrix products that share one input, run as one pool dispatch: the rows of all
/// matrices are cut into chunks of similar byte size that any thread may claim. Fewer
/// dispatches per token (Q, K and V together; gate and up together) is what decode,
/// a few hundred small products per token, pays for.
struct FusedProjection {
    /// out (count, w.rows) = input (count, w.cols) · Wᵀ.
    struct Part {
        let w: WeightMatrix
        let out: UnsafeMutablePointer<Float>
        /// The activation format the kernels want for this weight type (PK_ACT_*).
        var format: Int { Int(pk_act_format(w.kernelType)) }
    }
    struct Chunk { let part: Int, lo: Int, hi: Int }

    let parts: [Part]
    let chunks: [Chunk]
    /// Bit f set: some part needs its input in activation format f.
    let formats: Int

    /// `target`: about how many chunks in all; `rowMultiple`: every chunk boundary but a
    /// matrix's end is a multiple of it (so per-chunk follow-up work stays block-aligned).
    init(_ parts: [Part], target: Int, rowMultiple: Int = 1) {
        self.parts = parts
        let total = parts.reduce(0) { $0 + $1.w.rows * $1.w.rowBytes }
        var chunks: [Chunk] = []
        for (i, p) in parts.enumerated() {
            let units = (p.w.rows + rowMultiple - 1) / rowMultiple
            let share = total > 0 ? Double(p.w.rows * p.w.rowBytes) / Double(total) : 1
            let n = max(1, min(units, Int((share * Double(max(1, target))).rounded())))
            for c in 0..<n {
                let lo = min(p.w.rows, units * c / n * rowMultiple), hi = min(p.w.rows, units * (c + 1) / n * rowMultiple)
                if lo < hi { chunks.append(Chunk(part: i, lo: lo, hi: hi)) }
            }
        }
        self.chunks = chunks
        formats = parts.reduce(0) { $0 | 1 << $1.format }
    }

    /// Two matrices with the same rows (gate and up), cut at the same row boundaries:
    /// each chunk is a row range of both (part 0 names it).
    init(pairedRows a: Part, _ b: Part, target: Int, rowMultiple: Int) {
        let single = FusedProjection([a], target: target, rowMultiple: rowMultiple)
        parts = [a, b]
        chunks = single.chunks
        formats = 1 << a.format | 1 << b.format
    }

    /// Runs chunk `c` for input vectors `vectors` (their activations in `activations`).
    @inline(__always)
    func run(chunk c: Int, vectors: Range<Int>, _ activations: ActivationBuffers, input: UnsafeMutablePointer<Float>) {
        let ch = chunks[c], p = parts[ch.part]
        FusedProjection.product(p, rows: ch.lo..<ch.hi, vectors: vectors, activations, input: input)
    }

    /// out rows × vectors of one part.
    @inline(__always)
    static func product(_ p: Part, rows: Range<Int>, vectors: Range<Int>, _ activations: ActivationBuffers,
                        input: UnsafeMutablePointer<Float>) {
        let (xq, stride) = activations.input(for: p.w, floats: input)
        pk_matmat(p.w.kernelType, p.w.base, p.w.rowBytes, Int32(p.w.cols), Int32(rows.lowerBound), Int32(rows.upperBound),
                  xq + vectors.lowerBound * stride, stride, Int32(vectors.count), p.out + vectors.lowerBound * p.w.rows, p.w.rows)
    }

    /// How many vector ranges a batch of `count` is cut into: a prefill's products get
    /// small enough chunks to even out between threads (whole groups of 8 vectors, the
    /// kernels' register block); decode keeps one.
    static func vectorSplit(_ count: Int, threads: Int) -> Int {
        threads > 1 && count >= 16 ? min(4, count / 8) : 1
    }

    /// Range `part` of `split` over `count` vectors, in whole groups of 8.
    static func vectors(_ part: Int, of split: Int, count: Int) -> Range<Int> {
        let groups = (count + 7) / 8
        return min(count, groups * part / split * 8)..<min(count, groups * (part + 1) / split * 8)
    }
}

/// One quantized copy of a batch of input vectors per activation format (pk_q8_32 or
/// pk_q8_256 blocks); float weights read the float input itself.
struct ActivationBuffers {
    let buffers: [UnsafeMutableRawPointer]   // by format; [0] unused (floats are read in place)
    /// Bytes reserved per vector and format (the widest input, rounded up to 256 values).
    let strides: [Int]

    init(batch: Int, widest: Int) {
        let padded = (widest + 255) / 256 * 256
        let types = [GGMLType.f32, .q8_0, .q4_K].map { Int32($0.rawValue) }   // one type of each format
        strides = types.map { pk_act_bytes($0, Int32(padded)) }
        buffers = strides.map { .allocate(byteCount: max(64, batch * $0), alignment: 64) }
    }

    func deallocate() { for b in buffers { b.deallocate() } }

    /// Quantizes vector j (n values) into every format in the `formats` bit set.
    @inline(__always)
    func quantize(_ x: UnsafePointer<Float>, vector j: Int, count n: Int, formats: Int) {
        if formats & (1 << Int(PK_ACT_Q8_32.rawValue)) != 0 {
            pk_quantize_act(Int32(GGMLType.q8_0.rawValue), x, buffers[1] + j * strides[1], Int32(n))
        }
        if formats & (1 << Int(PK_ACT_Q8_256.rawValue)) != 0 {
            pk_quantize_act(Int32(GGMLType.q4_K.rawValue), x, buffers[2] + j * strides[2], Int32(n))
        }
    }

    /// Quantizes values lo..<hi (whole blocks of w's activation format) of vector j, for w.
    @inline(__always)
    func quantize(_ x: UnsafePointer<Float>, vector j: Int, range lo: Int, _ hi: Int, for w: WeightMatrix) {
        let f = Int(pk_act_format(w.kernelType))
        guard f > 0 else { return }
        pk_quantize_act(w.kernelType, x + lo, buffers[f] + j * strides[f] + pk_act_bytes(w.kernelType, Int32(lo)), Int32(hi - lo))
    }

    /// The activations w reads, and the bytes from one vector to the next.
    @inline(__always)
    func input(for w: WeightMatrix, floats: UnsafeMutablePointer<Float>) -> (UnsafeRawPointer, Int) {
        let f = Int(pk_act_format(w.kernelType))
        if f <= 0 { return (UnsafeRawPointer(floats), w.cols * MemoryLayout<Float>.size) }
        return (UnsafeRawPointer(buffers[f]), strides[f])
    }
}
