import Kernels
import Testing
@testable import NPCRuntime

/// PK_Q5_0_R4, the Q5_0 layout made at load for the 256-bit levels: the same sums as Q5_0
/// bit for bit, decode and prefill, at every level, for any row range; shapes it cannot
/// hold are refused.
@Suite struct RepackTests {
    static let n = 32 * 36, rowBytes = 22 * 36

    /// Random Q5_0 rows with fp16 scales of a realistic size.
    static func rows(_ count: Int, _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = (0..<count * rowBytes).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        for block in 0..<count * n / 32 {
            let v = Float16((rng.next() & 1 == 0 ? -0.02 : 0.02) * (0.2 + rng.nextFloat())).bitPattern
            bytes[22 * block] = UInt8(v & 0xff)
            bytes[22 * block + 1] = UInt8(v >> 8)
        }
        return bytes
    }

    static func repack(_ w: [UInt8], rows: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: w.count)
        let type = w.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { pk_repack(Int32(PK_Q5_0.rawValue), src.baseAddress, rowBytes, Int32(rows), Int32(n), $0.baseAddress) }
        }
        return type == Int32(PK_Q5_0_R4.rawValue) ? out : nil
    }

    static func activations(_ vectors: Int, _ rng: inout SplitMix64) -> [UInt8] {
        let x = (0..<n * vectors).map { _ in rng.nextFloat() * 2 - 1 }
        let bytes = pk_act_bytes(Int32(PK_Q5_0_R4.rawValue), Int32(n))
        var out = [UInt8](repeating: 0, count: bytes * vectors)
        out.withUnsafeMutableBytes { o in
            x.withUnsafeBufferPointer { xp in
                for v in 0..<vectors { pk_quantize_act(Int32(PK_Q5_0_R4.rawValue), xp.baseAddress! + v * n, o.baseAddress! + v * bytes, Int32(n)) }
            }
        }
        return out
    }

    static func products(_ type: Int32, _ w: [UInt8], rows: Range<Int>, _ xq: [UInt8], vectors: Int, stride: Int) -> [UInt32] {
        let yStride = rows.upperBound + 2
        var y = [Float](repeating: .nan, count: yStride * vectors)
        w.withUnsafeBytes { wp in
            xq.withUnsafeBytes { xp in
                pk_matmat(type, wp.baseAddress, rowBytes, Int32(n), Int32(rows.lowerBound), Int32(rows.upperBound), xp.baseAddress,
                          stride, Int32(vectors), &y, yStride)
            }
        }
        return y.map(\.bitPattern)
    }

    @Test func sameBitsAsQ5_0AtEveryLevel() throws {
        var rng = SplitMix64(seed: 77)
        let count = 20
        let w = Self.rows(count, &rng)
        let r4 = try #require(Self.repack(w, rows: count))
        #expect(r4 != w)
        let vectors = 17, xq = Self.activations(vectors, &rng), stride = xq.count / vectors
        defer { pk_set_cpu_level(-1) }
        for level in 0...pk_detected_cpu_level() {
            pk_set_cpu_level(level)
            // whole groups, ranges that start or end inside a group, a range inside one group
            for rows in [0..<20, 1..<19, 4..<8, 3..<5, 0..<3, 17..<20] {
                for v in [1, 2, 5, 17] {
                    let expected = Self.products(Int32(PK_Q5_0.rawValue), w, rows: rows, xq, vectors: v, stride: stride)
                    let got = Self.products(Int32(PK_Q5_0_R4.rawValue), r4, rows: rows, xq, vectors: v, stride: stride)
                    #expect(got == expected, "level \(level) rows \(rows) vectors \(v)")
                    #expect(!Float(bitPattern: got[rows.lowerBound]).isNaN)
                }
            }
        }
    }

    @Test func shapesItCannotHoldAreRefused() {
        var rng = SplitMix64(seed: 78)
        let w = Self.rows(20, &rng)
        #expect(Self.repack(Array(w[..<(18 * Self.rowBytes)]), rows: 18) == nil)    // rows not a multiple of 4
        var out = [UInt8](repeating: 7, count: 8 * 22 * 37)
        let odd = out.withUnsafeMutableBytes { o in
            w.withUnsafeBytes { pk_repack(Int32(PK_Q5_0.rawValue), $0.baseAddress, 22 * 37, 8, 32 * 37, o.baseAddress) }
        }
        #expect(odd == -1 && out.allSatisfy { $0 == 7 })                               // an odd number of blocks
        let q8 = w.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { pk_repack(Int32(PK_Q8_0.rawValue), src.baseAddress, 34 * 18, 4, 32 * 18, $0.baseAddress) }
        }
        #expect(q8 == -1)
        #expect(pk_type_supported(Int32(PK_Q5_0_R4.rawValue)) == 0)                     // never a file's type
        #expect(pk_act_format(Int32(PK_Q5_0_R4.rawValue)) == pk_act_format(Int32(PK_Q5_0.rawValue)))
    }
}
