#if canImport(Glibc)
import Glibc
#endif
import Kernels
import Testing
@testable import NPCRuntime

/// A weight type under test: its GGML number, block shape, and where its fp16 scale
/// fields sit in a block (overwritten with sane values so random rows stay finite).
struct KernelType: CustomStringConvertible, Sendable {
    let type: GGMLType
    let scaleOffsets: [Int]
    var description: String { type.name }
    var ggml: Int32 { Int32(type.rawValue) }

    static let all: [KernelType] = [
        .init(type: .f32, scaleOffsets: []), .init(type: .f16, scaleOffsets: []), .init(type: .bf16, scaleOffsets: []),
        .init(type: .q4_0, scaleOffsets: [0]), .init(type: .q4_1, scaleOffsets: [0, 2]),
        .init(type: .q5_0, scaleOffsets: [0]), .init(type: .q5_1, scaleOffsets: [0, 2]),
        .init(type: .q8_0, scaleOffsets: [0]), .init(type: .q2_K, scaleOffsets: [80, 82]),
        .init(type: .q3_K, scaleOffsets: [108]), .init(type: .q4_K, scaleOffsets: [0, 2]),
        .init(type: .q5_K, scaleOffsets: [0, 2]), .init(type: .q6_K, scaleOffsets: [208]),
    ]

    /// Row length for tests: an odd number of 32-blocks (the paired kernels' tail), several
    /// super-blocks, and for float types a length that is not a multiple of the 32 lanes.
    var n: Int {
        switch type.blockSize {
        case 1: return 1000
        case 32: return 32 * 37
        default: return 256 * 5
        }
    }

    /// Random rows: random quant bytes, fp16 scales of a realistic size.
    func randomRows(_ count: Int, _ rng: inout SplitMix64) -> [UInt8] {
        let rowBytes = type.byteCount(elements: n)!
        var bytes = (0..<count * rowBytes).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        func put16(_ v: UInt16, _ at: Int) {
            bytes[at] = UInt8(v & 0xff)
            bytes[at + 1] = UInt8(v >> 8)
        }
        switch type {
        case .f32:
            for i in 0..<count * n {
                let bits = (rng.nextFloat() * 2 - 1).bitPattern
                for k in 0..<4 { bytes[4 * i + k] = UInt8(truncatingIfNeeded: bits >> (8 * UInt32(k))) }
            }
        case .f16:
            for i in 0..<count * n { put16(Float16(rng.nextFloat() * 2 - 1).bitPattern, 2 * i) }
        case .bf16:
            for i in 0..<count * n { put16(UInt16((rng.nextFloat() * 2 - 1).bitPattern >> 16), 2 * i) }
        default:
            let magnitude: Float = type.blockSize == 32 ? 0.02 : 0.002  // K-quants multiply by 6-bit scales
            for block in 0..<count * n / type.blockSize {
                for (k, offset) in scaleOffsets.enumerated() {
                    let sign: Float = k == 0 && rng.next() & 1 == 0 ? -1 : 1
                    let v = sign * magnitude * (0.2 + rng.nextFloat())
                    put16(Float16(v).bitPattern, block * type.blockBytes + offset)
                }
            }
        }
        return bytes
    }
}

/// Dequantizers written from the block layouts, element by element, with ggml's float
/// operations in ggml's order (the kernels must reproduce them bit for bit).
enum ReferenceDequantizer {
    static func half(_ b: UnsafeRawBufferPointer, _ o: Int) -> Float {
        Float(Float16(bitPattern: UInt16(b[o]) | UInt16(b[o + 1]) << 8))
    }

    static func row(_ type: GGMLType, _ b: UnsafeRawBufferPointer, _ n: Int) -> [Float] {
        var y = [Float](repeating: 0, count: n)
        for e in 0..<n {
            let blk = e / type.blockSize * type.blockBytes, i = e % type.blockSize
            y[e] = value(type, b, blk, i)
        }
        return y
    }

    /// Element i of the block at byte offset o.
    static func value(_ type: GGMLType, _ b: UnsafeRawBufferPointer, _ o: Int, _ i: Int) -> Float {
        let nibble = { (qs: Int) -> Int in i < 16 ? Int(b[o + qs + i] & 15) : Int(b[o + qs + i - 16] >> 4) }
        let bit32 = { (at: Int) -> Int in Int(b[o + at + i / 8] >> UInt8(i % 8)) & 1 }
        switch type {
        case .f32: return Float(bitPattern: UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24)
        case .f16: return half(b, o)
        case .bf16: return Float(bitPattern: (UInt32(b[o]) | UInt32(b[o + 1]) << 8) << 16)
        case .q4_0: return Float(nibble(2) - 8) * half(b, o)
        case .q4_1: return Float(nibble(4)) * half(b, o) + half(b, o + 2)
        case .q5_0: return Float((nibble(6) | bit32(2) << 4) - 16) * half(b, o)
        case .q5_1: return Float(nibble(8) | bit32(4) << 4) * half(b, o) + half(b, o + 2)
        case .q8_0: return Float(Int8(bitPattern: b[o + 2 + i])) * half(b, o)
        case .q2_K:
            // scales[16] | qs[64] | d | dmin; 2-bit quant at bits 2j of qs[32*half + l]
            let h = i / 128, j = (i % 128) / 32, l = i % 32
            let q = Int(b[o + 16 + 32 * h + l] >> UInt8(2 * j)) & 3, sc = b[o + i / 16]
            let dl = half(b, o + 80) * Float(sc & 15), ml = half(b, o + 82) * Float(sc >> 4)
            return dl * Float(q) - ml
        case .q3_K:
            // hmask[32] | qs[64] | scales[12] | d; 6-bit scales stored +32, quants stored +4 unless the hmask bit is set
            let h = i / 128, j = (i % 128) / 32, l = i % 32, g = i / 16
            let low4 = g < 8 ? Int(b[o + 96 + g] & 15) : Int(b[o + 96 + g - 8] >> 4)
            let high2 = Int(b[o + 96 + 8 + g % 4] >> UInt8(2 * (g / 4))) & 3
            let scale = (low4 | high2 << 4) - 32
            let q = (Int(b[o + 32 + 32 * h + l] >> UInt8(2 * j)) & 3) - ((Int(b[o + l] >> UInt8(4 * h + j)) & 1) == 1 ? 0 : 4)
            return half(b, o + 108) * Float(scale) * Float(q)
        case .q4_K, .q5_K:
            // d | dmin | scales[12] | (Q5_K: qh[32]) | qs[128]; 64-element chunks: low nibbles then high
            let c = i / 64, hi = (i % 64) / 32, l = i % 32, s = i / 32
            let qsAt = type == .q4_K ? 16 : 48
            var q = hi == 1 ? Int(b[o + qsAt + 32 * c + l] >> 4) : Int(b[o + qsAt + 32 * c + l] & 15)
            if type == .q5_K { q += (Int(b[o + 16 + l] >> UInt8(2 * c + hi)) & 1) * 16 }
            let sc = o + 4
            let scale = s < 4 ? Int(b[sc + s] & 63) : Int(b[sc + s + 4] & 15) | Int(b[sc + s - 4] >> 6) << 4
            let minimum = s < 4 ? Int(b[sc + s + 4] & 63) : Int(b[sc + s + 4] >> 4) | Int(b[sc + s] >> 6) << 4
            return half(b, o) * Float(scale) * Float(q) - half(b, o + 2) * Float(minimum)
        case .q6_K:
            // ql[128] | qh[64] | scales[16] | d; per 128 elements, groups take low/high nibbles of ql[0..31] / ql[32..63]
            let h = i / 128, g = (i % 128) / 32, l = i % 32
            let low = b[o + 64 * h + l + (g & 1) * 32]
            let nib = g < 2 ? Int(low & 15) : Int(low >> 4)
            let q = (nib | (Int(b[o + 128 + 32 * h + l] >> UInt8(2 * g)) & 3) << 4) - 32
            return half(b, o + 208) * Float(Int8(bitPattern: b[o + 192 + i / 16])) * Float(q)
        default: return .nan
        }
    }
}

/// Activation quantization written from its description (ggml's x86 rounding).
enum ReferenceActivations {
    /// q8_0/q8_1 blocks of 32: q = round-half-even(x·127/max|x|) clamped to ±127; the
    /// scale d = max|x|/127 and the block sum d·Σq are stored through fp16.
    static func quantize32(_ x: ArraySlice<Float>) -> (d: Float, s: Float, q: [Int8]) {
        let amax = x.reduce(Float(0)) { max($0, abs($1)) }
        let d = amax / 127
        let id: Float = amax != 0 ? 127 / amax : 0
        let q = x.map { Int8(min(127, max(-127, ($0 * id).rounded(.toNearestOrEven)))) }
        let sum = Float(q.reduce(0) { $0 + Int($1) })
        return (Float(Float16(d)), Float(Float16(d * sum)), q)
    }

    /// q8_K blocks of 256: the signed value of largest magnitude (the first one) sets
    /// iscale = −127/max; q = round-half-even(x·iscale) clamped to ±127, d = 1/iscale.
    static func quantize256(_ x: ArraySlice<Float>) -> (d: Float, q: [Int8]) {
        var amax: Float = 0, maxValue: Float = 0
        for v in x where abs(v) > amax { amax = abs(v); maxValue = v }
        guard amax != 0 else { return (0, [Int8](repeating: 0, count: x.count)) }
        let iscale = -127 / maxValue
        return (1 / iscale, x.map { Int8(min(127, max(-127, ($0 * iscale).rounded(.toNearestOrEven)))) })
    }
}

@Suite(.serialized) struct KernelTests {
    static let levels = Array(0...pk_detected_cpu_level())

    /// Runs body at every CPU level this machine has, then returns to the detected one.
    func atEachLevel(_ body: (Int32) -> Void) {
        for level in Self.levels {
            pk_set_cpu_level(level)
            body(level)
        }
        pk_set_cpu_level(-1)
    }

    func randomActivations(_ count: Int, _ rng: inout SplitMix64) -> [Float] {
        (0..<count).map { _ in
            let v = rng.nextFloat() * 2 - 1
            return rng.next() % 50 == 0 ? v * 8 : v  // a few outliers, as real activations have
        }
    }

    func quantized(_ t: KernelType, _ x: [Float], vectors: Int) -> [UInt8] {
        let bytes = pk_act_bytes(t.ggml, Int32(t.n))
        var out = [UInt8](repeating: 0, count: bytes * vectors)
        out.withUnsafeMutableBytes { o in
            for v in 0..<vectors {
                x.withUnsafeBufferPointer { pk_quantize_act(t.ggml, $0.baseAddress! + v * t.n, o.baseAddress! + v * bytes, Int32(t.n)) }
            }
        }
        return out
    }

    func matvec(_ t: KernelType, _ w: [UInt8], rows: Range<Int>, _ xq: [UInt8]) -> [Float] {
        var y = [Float](repeating: .nan, count: rows.upperBound)
        w.withUnsafeBytes { wp in
            xq.withUnsafeBytes { xp in
                pk_matvec(t.ggml, wp.baseAddress, t.type.byteCount(elements: t.n)!, Int32(t.n),
                          Int32(rows.lowerBound), Int32(rows.upperBound), xp.baseAddress, &y)
            }
        }
        return y
    }

    @Test func typeFacts() {
        for t in KernelType.all {
            #expect(pk_type_supported(t.ggml) == 1)
            #expect(pk_block_elems(t.ggml) == Int32(t.type.blockSize))
            #expect(pk_row_bytes(t.ggml, Int32(t.n)) == t.type.byteCount(elements: t.n))
            let format = pk_act_format(t.ggml)
            let expected = t.type.blockSize == 1 ? PK_ACT_F32 : t.type.blockSize == 32 ? PK_ACT_Q8_32 : PK_ACT_Q8_256
            #expect(format == Int32(expected.rawValue))
        }
        #expect(MemoryLayout<pk_q8_32>.size == 40)
        #expect(MemoryLayout<pk_q8_256>.size == 292)
        // Q8_1, Q8_K and unknown numbers are not weight types here: zeros, and NaN results
        for unsupported: Int32 in [9, 15, 4, 31, -1] {
            #expect(pk_type_supported(unsupported) == 0)
            #expect(pk_act_bytes(unsupported, 256) == 0)
            #expect(pk_row_bytes(unsupported, 256) == 0)
            var y: [Float] = [1, 2]
            let w = [UInt8](repeating: 0, count: 1024)
            w.withUnsafeBytes { pk_matvec(unsupported, $0.baseAddress, 512, 256, 0, 2, $0.baseAddress, &y) }
            #expect(y.allSatisfy { $0.isNaN })
        }
        // not a whole number of blocks
        #expect(pk_row_bytes(PK_Q4_K.rawValue.asInt32, 100) == 0)
        var y: [Float] = [1]
        let w = [UInt8](repeating: 0, count: 1024)
        w.withUnsafeBytes { pk_matvec(PK_Q4_0.rawValue.asInt32, $0.baseAddress, 18, 40, 0, 1, $0.baseAddress, &y) }
        #expect(y[0].isNaN)
    }

    @Test func halfConversions() {
        for bits in 0...UInt16.max {
            let mine = pk_fp16_to_fp32(bits), swift = Float(Float16(bitPattern: bits))
            #expect(mine.bitPattern == swift.bitPattern || (mine.isNaN && swift.isNaN), "half \(bits)")
        }
        var rng = SplitMix64(seed: 7)
        var samples: [Float] = [0, -0, 1, -1, 65504, 65519.99, 65520, 1e9, -1e9, .infinity, -.infinity,
                                0x1p-14, 0x1p-24, 0x1p-25, 0x1.8p-25, 0x1p-26, 5.96e-8, 6.1e-5, .leastNonzeroMagnitude]
        for _ in 0..<100_000 {
            let exponent = Int(rng.next() % 40) - 28
            samples.append((rng.nextFloat() * 2 - 1) * Float(sign: .plus, exponent: exponent, significand: 1))
        }
        for f in samples {
            #expect(pk_fp32_to_fp16(f) == Float16(f).bitPattern, "float \(f)")
        }
        #expect(Float16(bitPattern: pk_fp32_to_fp16(.nan)).isNaN)
        #expect(pk_bf16_to_fp32(0x3f80) == 1 && pk_bf16_to_fp32(0xc000) == -2)
    }

    @Test func activationQuantization() {
        var rng = SplitMix64(seed: 11)
        var x = randomActivations(512, &rng)
        x[3] = .nan  // skipped by the scale, stored as -127
        x[40..<64] = ArraySlice(repeating: 0, count: 24)
        for v in 32..<64 where x[v] != 0 { x[v] = 0 }  // an all-zero block: d = 0, q = 0
        var q32 = [pk_q8_32](repeating: pk_q8_32(), count: 16)
        var q256 = [pk_q8_256](repeating: pk_q8_256(), count: 2)
        pk_quantize_act(PK_Q4_0.rawValue.asInt32, x, &q32, 512)
        pk_quantize_act(PK_Q6_K.rawValue.asInt32, x, &q256, 512)
        for b in 0..<16 {
            var slice = x[32 * b..<32 * b + 32]
            if b == 0 { slice[3] = 0 }  // NaN does not count toward max|x|
            var (d, sum, expected) = ReferenceActivations.quantize32(slice)
            if b == 0 {
                expected[3] = -127
                sum = Float(Float16(slice.reduce(0) { max($0, abs($1)) } / 127 * Float(expected.reduce(0) { $0 + Int($1) })))
            }
            #expect(q32[b].d == d)
            let qs = withUnsafeBytes(of: q32[b].qs) { Array($0.bindMemory(to: Int8.self)) }
            #expect(qs == expected, "block \(b)")
            #expect(q32[b].s == sum)
        }
        #expect(q32[1].d == 0 && q32[1].s == 0)
        for b in 0..<2 {
            var slice = x[256 * b..<256 * b + 256]
            if b == 0 { slice[3] = 0 }
            var (d, expected) = ReferenceActivations.quantize256(slice)
            if b == 0 { expected[3] = -127 }
            #expect(q256[b].d == d)
            let qs = withUnsafeBytes(of: q256[b].qs) { Array($0.bindMemory(to: Int8.self)) }
            #expect(qs == expected)
            let sums = withUnsafeBytes(of: q256[b].bsums) { Array($0.bindMemory(to: Int16.self)) }
            for j in 0..<16 { #expect(Int(sums[j]) == expected[16 * j..<16 * j + 16].reduce(0) { $0 + Int($1) }) }
        }
    }

    /// The quantized activations are the same bytes at every CPU level.
    @Test func activationQuantizationAgreesAcrossLevels() {
        var rng = SplitMix64(seed: 12)
        var x = randomActivations(4096, &rng)
        x[5] = .nan
        x[700] = .infinity
        for type in [PK_Q4_0, PK_Q6_K] {
            let t = type.rawValue.asInt32
            var outputs: [[UInt8]] = []
            atEachLevel { _ in
                var out = [UInt8](repeating: 0, count: pk_act_bytes(t, 4096))
                out.withUnsafeMutableBytes { pk_quantize_act(t, x, $0.baseAddress, 4096) }
                outputs.append(out)
            }
            for out in outputs { #expect(out == outputs[0]) }
        }
    }

    /// (a) pk_dequantize_row equals the reference dequantizer bit for bit.
    @Test(arguments: KernelType.all) func dequantizeMatchesReference(_ t: KernelType) {
        var rng = SplitMix64(seed: 100 + UInt64(t.type.rawValue))
        let rows = 3, rowBytes = t.type.byteCount(elements: t.n)!
        let w = t.randomRows(rows, &rng)
        var mismatches = 0
        w.withUnsafeBytes { all in
            for r in 0..<rows {
                let row = UnsafeRawBufferPointer(rebasing: all[r * rowBytes..<(r + 1) * rowBytes])
                let expected = ReferenceDequantizer.row(t.type, row, t.n)
                var got = [Float](repeating: 0, count: t.n)
                pk_dequantize_row(t.ggml, row.baseAddress, &got, Int32(t.n))
                mismatches += zip(got, expected).filter { $0.bitPattern != $1.bitPattern }.count
            }
        }
        #expect(mismatches == 0)
    }

    /// (b) pk_matvec equals the float dot of the dequantized row within the error that
    /// quantizing the activations allows: each x_i moves by at most half a step (d/2) of its
    /// block, so |y - w·x| <= Σ|w_i|*d_i/2, plus 1e-5*Σ|w_i*x_i| for float rounding.
    /// Float types use x as is: only the float term. Measured here: up to 2e-3 of Σ|w_i*x_i|
    /// (K-quants, whose 256-element activation blocks share one scale with the outliers).
    @Test(arguments: KernelType.all) func matvecMatchesFloatDot(_ t: KernelType) {
        var rng = SplitMix64(seed: 200 + UInt64(t.type.rawValue))
        let rows = 6, rowBytes = t.type.byteCount(elements: t.n)!
        let w = t.randomRows(rows, &rng)
        let x = randomActivations(t.n, &rng)
        let xq = quantized(t, x, vectors: 1)
        let y = t.type.blockSize == 1 ? x.withUnsafeBytes { xb in matvec(t, w, rows: 0..<rows, Array(xb)) } : matvec(t, w, rows: 0..<rows, xq)
        let actBlock = t.type.blockSize == 1 ? 0 : t.type.blockSize == 32 ? 32 : 256
        var worst = 0.0
        w.withUnsafeBytes { all in
            for r in 0..<rows {
                let deq = ReferenceDequantizer.row(t.type, UnsafeRawBufferPointer(rebasing: all[r * rowBytes..<(r + 1) * rowBytes]), t.n)
                var exact = 0.0, magnitude = 0.0, activationBound = 0.0
                for i in 0..<t.n {
                    exact += Double(deq[i]) * Double(x[i])
                    magnitude += abs(Double(deq[i]) * Double(x[i]))
                    if actBlock > 0 {
                        let block = x[i / actBlock * actBlock..<(i / actBlock + 1) * actBlock]
                        let step = Double(block.reduce(Float(0)) { max($0, abs($1)) }) / 127
                        activationBound += abs(Double(deq[i])) * step / 2
                    }
                }
                let error = abs(Double(y[r]) - exact)
                #expect(error <= activationBound + 1e-5 * magnitude, "row \(r): \(y[r]) vs \(exact)")
                worst = max(worst, error / magnitude)
            }
        }
        #expect(worst < (t.type.blockSize == 1 ? 1e-6 : 1e-2))
    }

    /// (c) every CPU level gives the same bits (the kernels share one canonical arithmetic).
    @Test(arguments: KernelType.all) func levelsAgreeBitwise(_ t: KernelType) {
        var rng = SplitMix64(seed: 300 + UInt64(t.type.rawValue))
        let rows = 11   // AVX-512 decode takes rows four at a time: two groups and three single rows
        let w = t.randomRows(rows, &rng)
        let x = randomActivations(t.n, &rng)
        let xq = t.type.blockSize == 1 ? x.withUnsafeBytes { Array($0) } : quantized(t, x, vectors: 1)
        var results: [[UInt32]] = []
        atEachLevel { _ in results.append(matvec(t, w, rows: 0..<rows, xq).map(\.bitPattern)) }
        #expect(Self.levels.count >= 1)
        for (level, r) in results.enumerated() {
            #expect(r == results[0], "level \(pk_cpu_level_name(Int32(level)).map { String(cString: $0) } ?? "?") differs from scalar")
        }
    }

    /// Inputs for the gated activations: the range the FFN sees, the ±10 GELU cut-offs,
    /// values past expf's range, and a length that is not a multiple of 16 (the SwiGLU tail).
    static func gluInputs() -> (x: [Float], g: [Float]) {
        var rng = SplitMix64(seed: 5)
        var x = (0..<1003).map { _ in (rng.nextFloat() * 2 - 1) * 14 }
        x[0..<8] = [-10, 10, -10.000001, 9.999999, -100, 100, 0, -0]
        let g = (0..<x.count).map { _ in rng.nextFloat() * 4 - 2 }
        return (x, g)
    }

    @Test func gatedActivationsMatchTheirDefinitionOnEveryLevel() {
        let (x, g) = Self.gluInputs()
        var silu = [Float](repeating: 0, count: x.count), gelu = silu
        pk_swiglu(x, g, &silu, Int32(x.count))
        pk_geglu(x, g, &gelu, Int32(x.count))
        for i in 0..<x.count {
            // ggml's vector expf is within 1.5 ulp of expf: a relative 1e-6 after the division
            let exact = x[i] / (1 + expf(-x[i])) * g[i]
            #expect(abs(silu[i] - exact) <= 1e-6 * max(abs(exact), 1e-30), "silu at \(x[i])")
            let h = Float(Float16(x[i]))
            let inner: Float = 0.797_884_56 * h * (1 + 0.044_715 * h * h)
            let table = Float(Float16(0.5 * h * (1 + tanhf(inner))))
            let expected: Float = x[i] <= -10 ? 0 : x[i] >= 10 ? x[i] * g[i] : table * g[i]
            #expect(abs(gelu[i] - expected) <= abs(expected) * 1e-3, "gelu at \(x[i])")
        }
        // the last n % 16 values use libm's expf exactly, as ggml's scalar tail does
        for i in x.count - x.count % 16..<x.count { #expect(silu[i] == x[i] / (1 + expf(-x[i])) * g[i]) }
        atEachLevel { level in
            var s = [Float](repeating: 0, count: x.count), e = s
            pk_swiglu(x, g, &s, Int32(x.count))
            pk_geglu(x, g, &e, Int32(x.count))
            #expect(s.map(\.bitPattern) == silu.map(\.bitPattern), "swiglu level \(level)")
            #expect(e.map(\.bitPattern) == gelu.map(\.bitPattern), "geglu level \(level)")
        }
    }

    /// Head sizes: whole 16-lane steps (the real models' 64 and 256), a half step, an 8-lane tail.
    @Test(arguments: [64, 256, 40, 20]) func attentionMatchesSoftmaxAndAgreesAcrossLevels(d: Int) {
        var rng = SplitMix64(seed: UInt64(d))
        // three query heads, two per key/value head: heads 0 and 1 read kv head 0, head 2 kv head 1
        let heads = 3, perKV = 2, positions = 37, stride = 2 * d + 8
        let q = (0..<heads * d).map { _ in (rng.nextFloat() * 2 - 1) * 2 }
        let k = (0..<positions * stride).map { _ in Float16((rng.nextFloat() * 2 - 1) * 2).bitPattern }
        let v = (0..<positions * stride).map { _ in Float16(rng.nextFloat() * 2 - 1).bitPattern }
        let scale = 1 / Float(d).squareRoot()
        var scratch = [Float](repeating: 0, count: Int(pk_attention_scratch_floats(Int32(positions))))
        func run(_ n: Int, heads h: Int, first: Int) -> [Float] {
            var out = [Float](repeating: .nan, count: h * d)
            q.withUnsafeBufferPointer { qp in
                pk_attention_f16(qp.baseAddress! + first * d, Int32(first), Int32(h), Int32(perKV), k, v, stride, Int32(n), Int32(d),
                                 scale, &scratch, &out)
            }
            return out
        }
        for n in [1, 2, 5, positions] {
            let together = run(n, heads: heads, first: 0)
            // one head at a time gives the same bits as heads interleaved
            let alone = (0..<heads).flatMap { run(n, heads: 1, first: $0) }
            #expect(together.map(\.bitPattern) == alone.map(\.bitPattern), "d \(d) n \(n)")
            // a pair across two key/value heads (heads 1 and 2)
            #expect(run(n, heads: 2, first: 1).map(\.bitPattern) == alone[d...].map(\.bitPattern), "d \(d) n \(n) across kv heads")
            // a float softmax: fp16 q and accumulator leave about 1e-3 of the values' scale
            for h in 0..<heads {
                let qh = q[h * d..<(h + 1) * d].map { Float(Float16($0)) }
                let kv = h / perKV * d
                let scores = (0..<n).map { j in (0..<d).reduce(Float(0)) { $0 + qh[$1] * Float(Float16(bitPattern: k[j * stride + kv + $1])) } * scale }
                let m = scores.max()!, e = scores.map { expf($0 - m) }, sum = e.reduce(0, +)
                for i in 0..<d {
                    let expected = (0..<n).reduce(Float(0)) { $0 + e[$1] / sum * Float(Float16(bitPattern: v[$1 * stride + kv + i])) }
                    #expect(abs(together[h * d + i] - expected) <= 4e-3, "d \(d) n \(n) head \(h) lane \(i)")
                }
            }
            atEachLevel { level in
                #expect(run(n, heads: heads, first: 0).map(\.bitPattern) == together.map(\.bitPattern), "d \(d) n \(n) level \(level)")
            }
        }
    }

    /// (d) pk_matmat equals pk_matvec per vector, bit for bit, at every level.
    @Test(arguments: KernelType.all) func matmatEqualsMatvec(_ t: KernelType) {
        var rng = SplitMix64(seed: 400 + UInt64(t.type.rawValue))
        let rows = 19, vectors = 17, rowBytes = t.type.byteCount(elements: t.n)!   // 18 rows in range: several row tiles
        let w = t.randomRows(rows, &rng)
        let x = randomActivations(t.n * vectors, &rng)
        let xq = t.type.blockSize == 1 ? x.withUnsafeBytes { Array($0) } : quantized(t, x, vectors: vectors)
        let stride = xq.count / vectors
        atEachLevel { level in
            for nVec in [1, 2, 3, 4, 5, 8, 9, 17] {   // 17: two groups of the 256-bit kernels' 16
                let yStride = rows + 3
                var y = [Float](repeating: .nan, count: yStride * nVec)
                w.withUnsafeBytes { wp in
                    xq.withUnsafeBytes { xp in
                        pk_matmat(t.ggml, wp.baseAddress, rowBytes, Int32(t.n), 1, Int32(rows), xp.baseAddress, stride,
                                  Int32(nVec), &y, yStride)
                    }
                }
                for v in 0..<nVec {
                    let single = matvec(t, w, rows: 1..<rows, Array(xq[v * stride..<(v + 1) * stride]))
                    let got = (1..<rows).map { y[v * yStride + $0].bitPattern }
                    #expect(got == single[1...].map(\.bitPattern), "level \(level) n_vec \(nVec) vector \(v)")
                    #expect(y[v * yStride].isNaN && y[v * yStride + rows].isNaN)  // rows outside the range untouched
                }
            }
        }
    }
}

private extension UInt32 {
    var asInt32: Int32 { Int32(bitPattern: self) }
}
