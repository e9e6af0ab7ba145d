import Kernels
import Testing
@testable import NPCRuntime

/// The T8 layouts made at load for the SIMD levels (PK_Q5_0_T8, PK_Q4_1_T8): the same sums as
/// the file's type bit for bit, decode and prefill, at every level, for any row range and any
/// number of blocks in a row's last group; shapes they cannot hold are refused.
@Suite struct RepackTests {
    struct Layout: CustomStringConvertible {
        let file: Int32, t8: Int32, blockBytes: Int
        /// Byte offsets of the block's fp16 fields (scale, and Q4_1's min).
        let halves: [Int]
        var description: String { file == Int32(PK_Q5_0.rawValue) ? "Q5_0" : "Q4_1" }
    }
    static let layouts = [
        Layout(file: Int32(PK_Q5_0.rawValue), t8: Int32(PK_Q5_0_T8.rawValue), blockBytes: 22, halves: [0]),
        Layout(file: Int32(PK_Q4_1.rawValue), t8: Int32(PK_Q4_1_T8.rawValue), blockBytes: 20, halves: [0, 2]),
    ]

    /// Random rows with fp16 scales (and mins) of a realistic size.
    static func rows(_ l: Layout, _ count: Int, blocks: Int, _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = (0..<count * l.blockBytes * blocks).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        for block in 0..<count * blocks {
            for at in l.halves {
                let v = Float16((rng.next() & 1 == 0 ? -0.02 : 0.02) * (0.2 + rng.nextFloat())).bitPattern
                bytes[l.blockBytes * block + at] = UInt8(v & 0xff)
                bytes[l.blockBytes * block + at + 1] = UInt8(v >> 8)
            }
        }
        return bytes
    }

    static func repack(_ l: Layout, _ w: [UInt8], rows: Int, blocks: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: w.count)
        let type = w.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { pk_repack(l.file, src.baseAddress, l.blockBytes * blocks, Int32(rows), Int32(32 * blocks), $0.baseAddress) }
        }
        return type == l.t8 ? out : nil
    }

    static func activations(_ l: Layout, _ vectors: Int, blocks: Int, _ rng: inout SplitMix64) -> [UInt8] {
        let n = 32 * blocks
        let x = (0..<n * vectors).map { _ in rng.nextFloat() * 2 - 1 }
        let bytes = pk_act_bytes(l.t8, Int32(n))
        var out = [UInt8](repeating: 0, count: bytes * vectors)
        out.withUnsafeMutableBytes { o in
            x.withUnsafeBufferPointer { xp in
                for v in 0..<vectors { pk_quantize_act(l.t8, xp.baseAddress! + v * n, o.baseAddress! + v * bytes, Int32(n)) }
            }
        }
        return out
    }

    static func products(_ type: Int32, _ l: Layout, _ w: [UInt8], rows: Range<Int>, _ xq: [UInt8], vectors: Int, stride: Int,
                         blocks: Int) -> [UInt32] {
        let yStride = rows.upperBound + 2
        var y = [Float](repeating: .nan, count: yStride * vectors)
        w.withUnsafeBytes { wp in
            xq.withUnsafeBytes { xp in
                pk_matmat(type, wp.baseAddress, l.blockBytes * blocks, Int32(32 * blocks), Int32(rows.lowerBound), Int32(rows.upperBound),
                          xp.baseAddress, stride, Int32(vectors), &y, yStride)
            }
        }
        return y.map(\.bitPattern)
    }

    @Test(arguments: layouts) func sameBitsAsTheFileTypeAtEveryLevel(_ l: Layout) throws {
        var rng = SplitMix64(seed: 77)
        let count = 20
        defer { pk_set_cpu_level(-1) }
        // 36 blocks: 4 whole groups and a last group of 4 (as rows of 896 and 640 end);
        // then last groups of every other size, and a row of one partial group
        for blocks in [36, 33, 34, 35, 37, 38, 39, 40, 5] {
            let w = Self.rows(l, count, blocks: blocks, &rng)
            let t8 = try #require(Self.repack(l, w, rows: count, blocks: blocks))
            #expect(t8 != w)
            let vectors = 17, xq = Self.activations(l, vectors, blocks: blocks, &rng), stride = xq.count / vectors
            for level in 0...pk_detected_cpu_level() {
                pk_set_cpu_level(level)
                let ranges: [Range<Int>] = blocks == 36 ? [0..<20, 1..<19, 4..<8, 3..<5, 0..<3, 17..<20] : [0..<20, 3..<17]
                for rows in ranges {
                    for v in blocks == 36 ? [1, 2, 5, 17] : [1, 17] {
                        let expected = Self.products(l.file, l, w, rows: rows, xq, vectors: v, stride: stride, blocks: blocks)
                        let got = Self.products(l.t8, l, t8, rows: rows, xq, vectors: v, stride: stride, blocks: blocks)
                        #expect(got == expected, "\(l) level \(level) blocks \(blocks) rows \(rows) vectors \(v)")
                        #expect(!Float(bitPattern: got[rows.lowerBound]).isNaN)
                    }
                }
            }
        }
    }

    @Test func shapesTheyCannotHoldAreRefused() {
        var rng = SplitMix64(seed: 78)
        let w = Self.rows(Self.layouts[0], 20, blocks: 36, &rng)
        var out = [UInt8](repeating: 7, count: w.count)
        func repack(_ type: pk_ggml_type, rowBytes: Int, rows: Int, n: Int) -> Int32 {
            w.withUnsafeBytes { src in
                out.withUnsafeMutableBytes { pk_repack(Int32(type.rawValue), src.baseAddress, rowBytes, Int32(rows), Int32(n), $0.baseAddress) }
            }
        }
        #expect(repack(PK_Q8_0, rowBytes: 34 * 18, rows: 4, n: 32 * 18) == -1)              // not Q5_0 or Q4_1
        #expect(repack(PK_Q5_0, rowBytes: 22 * 36, rows: 4, n: 32 * 36 - 16) == -1)        // not whole blocks
        #expect(repack(PK_Q5_0, rowBytes: 22 * 35, rows: 4, n: 32 * 36) == -1)              // row_bytes not Q5_0's
        #expect(repack(PK_Q4_1, rowBytes: 22 * 36, rows: 4, n: 32 * 36) == -1)              // row_bytes not Q4_1's
        #expect(repack(PK_Q5_0, rowBytes: 22 * 36, rows: -1, n: 32 * 36) == -1)
        #expect(repack(PK_Q5_0, rowBytes: 22 * 513, rows: 0, n: 32 * 513) == -1)            // wider than PK_T8_MAX_N
        #expect(out.allSatisfy { $0 == 7 })
        for l in Self.layouts {
            #expect(pk_type_supported(l.t8) == 0)                                           // never a file's type
            #expect(pk_act_format(l.t8) == pk_act_format(l.file))
        }
        // a shape the layout cannot have gives NaN, never a kernel run on it
        var y = [Float](repeating: 0, count: 2)
        let x = [UInt8](repeating: 0, count: 40 * 513)
        w.withUnsafeBytes { wp in
            x.withUnsafeBytes { xp in pk_matvec(Int32(PK_Q5_0_T8.rawValue), wp.baseAddress, 22 * 513, 32 * 513, 0, 1, xp.baseAddress, &y) }
        }
        #expect(y[0].isNaN && y[1] == 0)
    }
}
