#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Elementwise kernels over raw float buffers, SIMD8 with a scalar tail.
enum VectorMath {
    static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
                + UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: v, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { y[i] += x[i]; i += 1 }
    }

    /// y = leaky_relu(x, slope); x and y may be the same buffer.
    static func leakyReLU(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int, slope: Float) {
        var i = 0
        let s = SIMD8<Float>(repeating: slope)
        while i + 8 <= n {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            let r = v.replacing(with: v * s, where: v .< 0)
            UnsafeMutableRawPointer(y + i).storeBytes(of: r, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { let v = x[i]; y[i] = v < 0 ? v * slope : v; i += 1 }
    }

    static func relu(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        leakyReLU(x, into: x, count: n, slope: 0)
    }

    /// y *= s.
    static func scale(_ y: UnsafeMutablePointer<Float>, count n: Int, by s: Float) {
        var i = 0
        let v = SIMD8<Float>(repeating: s)
        while i + 8 <= n {
            let r = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self) * v
            UnsafeMutableRawPointer(y + i).storeBytes(of: r, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { y[i] *= s; i += 1 }
    }

    /// y = ((y + a) + b) / d in one pass (a true division, as the exported graph does it), a and b
    /// each left out when nil.
    static func average(_ y: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?, count n: Int, of d: Float) {
        let dv = SIMD8<Float>(repeating: d)
        var i = 0
        while i + 8 <= n {
            var v = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
            if let a { v += UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self) }
            if let b { v += UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self) }
            UnsafeMutableRawPointer(y + i).storeBytes(of: v / dv, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n {
            var v = y[i]
            if let a { v += a[i] }
            if let b { v += b[i] }
            y[i] = v / d
            i += 1
        }
    }

    /// log(1 + exp(x)) without overflow for large x.
    static func softplus(_ x: Float) -> Float {
        x > 20 ? x : log1pf(expf(x))
    }

    /// In-place softmax of `n` values.
    /// Softmax of every column of x (rows × columns, row-major) over its rows, as `softmax`
    /// computes a row; `stats` holds 2·columns floats.
    static func softmaxColumns(_ x: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stats: UnsafeMutablePointer<Float>) {
        guard rows > 0, columns > 0 else { return }
        let m = stats, sum = stats + columns
        m.update(from: x, count: columns)
        for j in 1..<rows {
            let row = x + j * columns
            for i in 0..<columns { m[i] = max(m[i], row[i]) }
        }
        sum.update(repeating: 0, count: columns)
        for j in 0..<rows {
            let row = x + j * columns
            for i in 0..<columns { row[i] = expf(row[i] - m[i]); sum[i] += row[i] }
        }
        for i in 0..<columns { sum[i] = 1 / sum[i] }
        for j in 0..<rows {
            let row = x + j * columns
            for i in 0..<columns { row[i] *= sum[i] }
        }
    }

    static func softmax(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        guard n > 0 else { return }
        var m = x[0]
        for i in 1..<n { m = max(m, x[i]) }
        var sum: Float = 0
        for i in 0..<n { x[i] = expf(x[i] - m); sum += x[i] }
        let inv = 1 / sum
        for i in 0..<n { x[i] *= inv }
    }
}
