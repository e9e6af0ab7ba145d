import Testing
import Kernels
import VoiceKernels
@testable import NPCRuntime

/// `pv_conv1d_i16_paired` (outputs in pairs, the 2-parallel fast FIR algorithm) gives the direct
/// kernel's bits: every level, kernel length, dilation (block sizes 1, 2, 4 and the fallback for
/// 8), tail, accumulation, a window that ends at its last column, and scratches from too small
/// (the direct kernel) through a few rows a group to all of them.
@Suite struct PairedOutputsTests {
    struct Case {
        let cout, cin, k, dil, n: Int
    }

    /// SplitMix-style values in [-limit, limit], the same for every run.
    static func values(_ count: Int, seed: UInt64, limit: Int) -> [Int16] {
        var state = seed
        return (0..<count).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Int16(Int(z % UInt64(2 * limit + 1)) - limit)
        }
    }

    /// y from both entry points for one case; (direct, paired).
    static func run(_ c: Case, scratchBytes: Int, accumulate: Bool, bias: Bool) -> ([Float], [Float]) {
        let cinp = (c.cin + 1) / 2, k0 = (c.k + 1) / 2, k1 = c.k / 2
        // Weights: int16 pairs of ±2047, as pv_quantize_weights_i16 makes them.
        let w = values(2 * c.cout * cinp * c.k, seed: UInt64(c.cout * 7 + c.k * 131 + c.dil), limit: 2047)
        var wq = [Int32](repeating: 0, count: c.cout * cinp * c.k)
        for i in wq.indices { wq[i] = Int32(bitPattern: UInt32(UInt16(bitPattern: w[2 * i])) | UInt32(UInt16(bitPattern: w[2 * i + 1])) << 16) }
        var even = [Int32](repeating: 0, count: c.cout * cinp * k0), odd = [Int32](repeating: 0, count: max(1, c.cout * cinp * k1))
        var sum = even
        pv_pair_weights_i16(wq, Int32(c.cout), Int32(c.cin), Int32(c.k), &even, &odd, &sum)
        let scales = (0..<c.cout).map { 1e-4 * Float($0 + 1) }
        let biases = (0..<c.cout).map { Float($0) * 0.25 - 1 }
        // The window holds exactly the columns the outputs read: paired reads past it as zeros.
        let cols = c.n + (c.k - 1) * c.dil, ldq = pv_i16_row_columns(cols)
        var xq = values(2 * cinp * ldq, seed: UInt64(c.n * 977 + c.dil), limit: 16383)
        for p in 0..<cinp { for col in cols..<ldq { xq[2 * (p * ldq + col)] = 0; xq[2 * (p * ldq + col) + 1] = 0 } }
        let start = (0..<(c.cout * c.n)).map { Float($0 % 13) - 6 }
        var direct = start, paired = start
        var scratch = [UInt8](repeating: 0, count: max(1, scratchBytes))
        let b: [Float]? = bias ? biases : nil
        pv_conv1d_i16(wq, scales, b, Int32(c.cout), Int32(c.cin), Int32(c.k), Int32(c.dil), xq, ldq, 0.5, &direct, c.n, c.n,
                      accumulate ? 1 : 0)
        pv_conv1d_i16_paired(wq, even, odd, sum, scales, b, Int32(c.cout), Int32(c.cin), Int32(c.k), Int32(c.dil), xq, ldq, ldq,
                             0.5, &paired, c.n, c.n, accumulate ? 1 : 0, &scratch, scratchBytes)
        return (direct, paired)
    }

    @Test("paired outputs: the direct kernel's bits at every level", arguments: [
        Case(cout: 32, cin: 32, k: 7, dil: 12, n: 531), Case(cout: 32, cin: 32, k: 5, dil: 6, n: 100),
        Case(cout: 64, cin: 64, k: 5, dil: 2, n: 257), Case(cout: 12, cin: 7, k: 2, dil: 1, n: 17),
        Case(cout: 30, cin: 20, k: 3, dil: 3, n: 1), Case(cout: 24, cin: 16, k: 4, dil: 4, n: 99),
        Case(cout: 8, cin: 8, k: 3, dil: 8, n: 64), Case(cout: 128, cin: 128, k: 7, dil: 1, n: 600),
    ])
    func sameBits(_ c: Case) {
        for scratch in [512, 40 << 10, 1 << 20] {
            for (accumulate, bias) in [(false, true), (true, false), (true, true)] {
                for (level, (direct, paired)) in VoiceConvolutionTests.atEveryLevel({ Self.run(c, scratchBytes: scratch, accumulate: accumulate, bias: bias) }) {
                    let differing = zip(direct, paired).filter { $0.0.bitPattern != $0.1.bitPattern }.count
                    #expect(differing == 0, "\(level) \(c) scratch \(scratch) accumulate \(accumulate): \(differing) of \(direct.count) differ")
                    #expect(direct.contains { $0 != 0 } && direct != (0..<(c.cout * c.n)).map { Float($0 % 13) - 6 })
                }
            }
        }
    }

    @Test("paired weights: even taps, odd taps and their sums, per int16 half")
    func pairedWeights() {
        // One row, one channel pair, 5 taps: (t, −t) halves.
        let wq: [Int32] = (1...5).map { t in Int32(bitPattern: UInt32(UInt16(bitPattern: Int16(t))) | UInt32(UInt16(bitPattern: Int16(-t))) << 16) }
        var even = [Int32](repeating: 0, count: 3), odd = [Int32](repeating: 0, count: 2), sum = [Int32](repeating: 0, count: 3)
        pv_pair_weights_i16(wq, 1, 2, 5, &even, &odd, &sum)
        func halves(_ w: Int32) -> [Int16] { [Int16(truncatingIfNeeded: w), Int16(truncatingIfNeeded: w >> 16)] }
        #expect(even.map(halves) == [[1, -1], [3, -3], [5, -5]])
        #expect(odd.map(halves) == [[2, -2], [4, -4]])
        #expect(sum.map(halves) == [[3, -3], [7, -7], [5, -5]])
    }
}
