import ArgumentParser
import Foundation
import Kernels
import NPCRuntime

/// `parley bench kernels`: single-thread throughput of the quantized matrix-vector kernels
/// per weight type and CPU level, on random weights of two matrix shapes.
struct BenchKernels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "Weights streamed (GB/s) and multiply-adds (G/s) of pk_matvec / pk_matmat, one thread.")

    @Option(help: "Activation vectors per call: 1 measures pk_matvec (decode), more pk_matmat (prefill).")
    var vectors = 1

    @Option(help: "Comma-separated weight types (default: all supported).")
    var types = "F32,F16,BF16,Q4_0,Q4_1,Q5_0,Q5_1,Q8_0,Q2_K,Q3_K,Q4_K,Q5_K,Q6_K"

    @Option(help: "Matrix shapes as ROWSxCOLS, comma-separated (COLS a multiple of 32; types with 256-element blocks skip other shapes).")
    var shapes = "576x1536,4096x4096"

    @Option(help: "Seconds per measurement (the best of five runs of this length is kept).")
    var seconds = 0.1

    /// Byte offsets of each quantized type's fp16 scale fields within a block.
    static let scaleOffsets: [GGMLType: [Int]] = [
        .q4_0: [0], .q4_1: [0, 2], .q5_0: [0], .q5_1: [0, 2], .q8_0: [0],
        .q2_K: [80, 82], .q3_K: [108], .q4_K: [0, 2], .q5_K: [0, 2], .q6_K: [208],
    ]

    func run() throws {
        guard vectors >= 1, vectors <= 4096 else { throw ValidationError("--vectors must be 1…4096") }
        let selected = try types.split(separator: ",").map { name -> GGMLType in
            guard let t = GGMLType.allCases.first(where: { $0.name == name.uppercased() }),
                  pk_type_supported(Int32(t.rawValue)) == 1
            else { throw ValidationError("unsupported type \(name)") }
            return t
        }
        let dims = try shapes.split(separator: ",").map { s -> (rows: Int, cols: Int) in
            let parts = s.split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2, parts[0] > 0, parts[1] > 0, parts[1] % 32 == 0 else {
                throw ValidationError("shape \(s): want ROWSxCOLS with COLS a multiple of 32")
            }
            return (parts[0], parts[1])
        }
        let top = pk_cpu_level()
        let levels = Array(0...top)
        let levelNames = levels.map { String(cString: pk_cpu_level_name($0)) }
        print("kernels: detected \(levelNames.last ?? "?"), 1 thread, \(vectors == 1 ? "pk_matvec" : "pk_matmat with \(vectors) vectors")")
        var rng = SplitMix64(seed: 1)
        for (rows, cols) in dims {
            let title = "\(rows)x\(cols)".padding(toLength: 10, withPad: " ", startingAt: 0)
            print("\n" + title + levelNames.map { "  " + $0.padding(toLength: 25, withPad: " ", startingAt: 0) }.joined())
            for type in selected where cols % type.blockSize == 0 {   // K-quants need whole 256-element rows
                let weights = randomWeights(type, rows: rows, cols: cols, &rng)
                let activations = (0..<cols * vectors).map { _ in rng.nextFloat() * 2 - 1 }
                let actBytes = pk_act_bytes(Int32(type.rawValue), Int32(cols))
                var xq = [UInt8](repeating: 0, count: actBytes * vectors)
                xq.withUnsafeMutableBytes { out in
                    activations.withUnsafeBufferPointer { x in
                        for v in 0..<vectors {
                            pk_quantize_act(Int32(type.rawValue), x.baseAddress! + v * cols, out.baseAddress! + v * actBytes, Int32(cols))
                        }
                    }
                }
                let rowBytes = pk_row_bytes(Int32(type.rawValue), Int32(cols))
                var layouts = [(type.name, Int32(type.rawValue), weights)]
                // Q5_0 and Q4_1 as the SIMD levels load them (T8 layouts, the same sums); the scalar level reads them too
                if type == .q5_0 || type == .q4_1 {
                    var t8 = [UInt8](repeating: 0, count: weights.count)
                    let made = weights.withUnsafeBytes { src in
                        t8.withUnsafeMutableBytes { pk_repack(Int32(type.rawValue), src.baseAddress, rowBytes, Int32(rows), Int32(cols), $0.baseAddress) }
                    }
                    if made >= 0 { layouts.append((type.name + " T8", made, t8)) }
                }
                for (name, kernelType, w) in layouts {
                    var line = name.padding(toLength: 10, withPad: " ", startingAt: 0)
                    for level in levels {
                        pk_set_cpu_level(level)
                        let t = bestTime(kernelType, w, rowBytes: rowBytes, rows: rows, cols: cols, xq, actBytes)
                        let gbps = Double(w.count) / t / 1e9, gmacs = Double(rows * cols * vectors) / t / 1e9
                        line += String(format: "  %6.1f GB/s %6.1f Gmac/s", gbps, gmacs)
                    }
                    pk_set_cpu_level(-1)
                    print(line)
                }
            }
        }
    }

    /// Random quants with fp16 scales of a realistic size (no NaN, infinity or denormals).
    func randomWeights(_ type: GGMLType, rows: Int, cols: Int, _ rng: inout SplitMix64) -> [UInt8] {
        let rowBytes = pk_row_bytes(Int32(type.rawValue), Int32(cols))
        var bytes = (0..<rows * rowBytes).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        bytes.withUnsafeMutableBytes { raw in
            switch type {
            case .f32:
                for i in 0..<rows * cols { raw.storeBytes(of: rng.nextFloat() - 0.5, toByteOffset: 4 * i, as: Float.self) }
            case .f16:
                for i in 0..<rows * cols { raw.storeBytes(of: pk_fp32_to_fp16(rng.nextFloat() - 0.5), toByteOffset: 2 * i, as: UInt16.self) }
            case .bf16:
                for i in 0..<rows * cols {
                    raw.storeBytes(of: UInt16((rng.nextFloat() - 0.5).bitPattern >> 16), toByteOffset: 2 * i, as: UInt16.self)
                }
            default:
                for block in 0..<rows * cols / type.blockSize {
                    for offset in Self.scaleOffsets[type] ?? [] {
                        let scale = pk_fp32_to_fp16(0.001 + 0.01 * rng.nextFloat())
                        raw.storeBytes(of: scale, toByteOffset: block * type.blockBytes + offset, as: UInt16.self)
                    }
                }
            }
        }
        return bytes
    }

    /// Seconds per call: the best of five runs of `seconds` each.
    func bestTime(_ kernelType: Int32, _ w: [UInt8], rowBytes: Int, rows: Int, cols: Int, _ xq: [UInt8], _ actBytes: Int) -> Double {
        var y = [Float](repeating: 0, count: rows * vectors)
        var best = Double.infinity
        w.withUnsafeBytes { wp in
            xq.withUnsafeBytes { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    for _ in 0..<5 {
                        var calls = 0
                        let start = DispatchTime.now().uptimeNanoseconds
                        var elapsed = 0.0
                        repeat {
                            if vectors == 1 {
                                pk_matvec(kernelType, wp.baseAddress, rowBytes, Int32(cols), 0, Int32(rows), xp.baseAddress, yp.baseAddress)
                            } else {
                                pk_matmat(kernelType, wp.baseAddress, rowBytes, Int32(cols), 0, Int32(rows), xp.baseAddress,
                                          actBytes, Int32(vectors), yp.baseAddress, rows)
                            }
                            calls += 1
                            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                        } while elapsed < seconds
                        best = min(best, elapsed / Double(calls))
                    }
                }
            }
        }
        return best
    }
}
