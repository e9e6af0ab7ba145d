import Kernels
import Testing
@testable import NPCRuntime

/// PK_Q5_0_T8, the Q5_0 layout made at load for the SIMD levels: the same sums as Q5_0
/// bit for bit, decode and prefill, at every level, for any row range and any number of
/// blocks in a row's last group; shapes it cannot hold are refused.
@Suite struct RepackTests {
    static let n = 32 * 36, rowBytes = 22 * 36

    /// Random Q5_0 rows with fp16 scales of a realistic size.
    static func rows(_ count: Int, _ rng: inout SplitMix64, blocks: Int = 36) -> [UInt8] {
        var bytes = (0..<count * 22 * blocks).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        for block in 0..<count * blocks {
            let v = Float16((rng.next() & 1 == 0 ? -0.02 : 0.02) * (0.2 + rng.nextFloat())).bitPattern
            bytes[22 * block] = UInt8(v & 0xff)
            bytes[22 * block + 1] = UInt8(v >> 8)
        }
        return bytes
    }

    static func repack(_ w: [UInt8], rows: Int, blocks: Int = 36) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: w.count)
        let type = w.withUnsafeBytes { src in
            out.withUnsafeMutableBytes {
                pk_repack(Int32(PK_Q5_0.rawValue), src.baseAddress, 22 * blocks, Int32(rows), Int32(32 * blocks), $0.baseAddress)
            }
        }
        return type == Int32(PK_Q5_0_T8.rawValue) ? out : nil
    }

    static func activations(_ vectors: Int, _ rng: inout SplitMix64, blocks: Int = 36) -> [UInt8] {
        let n = 32 * blocks
        let x = (0..<n * vectors).map { _ in rng.nextFloat() * 2 - 1 }
        let bytes = pk_act_bytes(Int32(PK_Q5_0_T8.rawValue), Int32(n))
        var out = [UInt8](repeating: 0, count: bytes * vectors)
        out.withUnsafeMutableBytes { o in
            x.withUnsafeBufferPointer { xp in
                for v in 0..<vectors { pk_quantize_act(Int32(PK_Q5_0_T8.rawValue), xp.baseAddress! + v * n, o.baseAddress! + v * bytes, Int32(n)) }
            }
        }
        return out
    }

    static func products(_ type: Int32, _ w: [UInt8], rows: Range<Int>, _ xq: [UInt8], vectors: Int, stride: Int,
                         blocks: Int = 36) -> [UInt32] {
        let yStride = rows.upperBound + 2
        var y = [Float](repeating: .nan, count: yStride * vectors)
        w.withUnsafeBytes { wp in
            xq.withUnsafeBytes { xp in
                pk_matmat(type, wp.baseAddress, 22 * blocks, Int32(32 * blocks), Int32(rows.lowerBound), Int32(rows.upperBound),
                          xp.baseAddress, stride, Int32(vectors), &y, yStride)
            }
        }
        return y.map(\.bitPattern)
    }

    @Test func sameBitsAsQ5_0AtEveryLevel() throws {
        var rng = SplitMix64(seed: 77)
        let count = 20
        defer { pk_set_cpu_level(-1) }
        // 36 blocks: 4 whole groups and a last group of 4 (as rows of 896 and 640 end);
        // then last groups of every other size, and a row of one partial group
        for blocks in [36, 33, 34, 35, 37, 38, 39, 40, 5] {
            let w = Self.rows(count, &rng, blocks: blocks)
            let t8 = try #require(Self.repack(w, rows: count, blocks: blocks))
            #expect(t8 != w)
            let vectors = 17, xq = Self.activations(vectors, &rng, blocks: blocks), stride = xq.count / vectors
            for level in 0...pk_detected_cpu_level() {
                pk_set_cpu_level(level)
                let ranges: [Range<Int>] = blocks == 36 ? [0..<20, 1..<19, 4..<8, 3..<5, 0..<3, 17..<20] : [0..<20, 3..<17]
                for rows in ranges {
                    for v in blocks == 36 ? [1, 2, 5, 17] : [1, 17] {
                        let expected = Self.products(Int32(PK_Q5_0.rawValue), w, rows: rows, xq, vectors: v, stride: stride, blocks: blocks)
                        let got = Self.products(Int32(PK_Q5_0_T8.rawValue), t8, rows: rows, xq, vectors: v, stride: stride, blocks: blocks)
                        #expect(got == expected, "level \(level) blocks \(blocks) rows \(rows) vectors \(v)")
                        #expect(!Float(bitPattern: got[rows.lowerBound]).isNaN)
                    }
                }
            }
        }
    }

    @Test func shapesItCannotHoldAreRefused() {
        var rng = SplitMix64(seed: 78)
        let w = Self.rows(20, &rng)
        var out = [UInt8](repeating: 7, count: w.count)
        func repack(_ type: pk_ggml_type, rowBytes: Int, rows: Int, n: Int) -> Int32 {
            w.withUnsafeBytes { src in
                out.withUnsafeMutableBytes { pk_repack(Int32(type.rawValue), src.baseAddress, rowBytes, Int32(rows), Int32(n), $0.baseAddress) }
            }
        }
        #expect(repack(PK_Q8_0, rowBytes: 34 * 18, rows: 4, n: 32 * 18) == -1)              // not Q5_0
        #expect(repack(PK_Q5_0, rowBytes: 22 * 36, rows: 4, n: 32 * 36 - 16) == -1)        // not whole blocks
        #expect(repack(PK_Q5_0, rowBytes: 22 * 35, rows: 4, n: 32 * 36) == -1)              // row_bytes not Q5_0's
        #expect(repack(PK_Q5_0, rowBytes: 22 * 36, rows: -1, n: 32 * 36) == -1)
        #expect(repack(PK_Q5_0, rowBytes: 22 * 513, rows: 0, n: 32 * 513) == -1)            // wider than PK_T8_MAX_N
        #expect(out.allSatisfy { $0 == 7 })
        #expect(pk_type_supported(Int32(PK_Q5_0_T8.rawValue)) == 0)                         // never a file's type
        #expect(pk_act_format(Int32(PK_Q5_0_T8.rawValue)) == pk_act_format(Int32(PK_Q5_0.rawValue)))
        // a shape the layout cannot have gives NaN, never a kernel run on it
        var y = [Float](repeating: 0, count: 2)
        let x = [UInt8](repeating: 0, count: 40 * 513)
        w.withUnsafeBytes { wp in
            x.withUnsafeBytes { xp in pk_matvec(Int32(PK_Q5_0_T8.rawValue), wp.baseAddress, 22 * 513, 32 * 513, 0, 1, xp.baseAddress, &y) }
        }
        #expect(y[0].isNaN && y[1] == 0)
    }
}
