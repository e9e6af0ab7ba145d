import Kernels
#if canImport(Glibc)
import Glibc
#endif

// Float loops of the transformer's forward pass (elementwise helpers shared with
// the voice are in Support/VectorMath.swift). SIMD8 lowers to AVX2 + FMA in release.

@inline(__always)
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
    var i = 0
    while i + 16 <= n {
        acc0.addProduct(UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self),
                        UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self))
        acc1.addProduct(UnsafeRawPointer(a + i + 8).loadUnaligned(as: SIMD8<Float>.self),
                        UnsafeRawPointer(b + i + 8).loadUnaligned(as: SIMD8<Float>.self))
        i += 16
    }
    var sum = (acc0 + acc1).sum()
    while i < n { sum += a[i] * b[i]; i += 1 }
    return sum
}

/// out = x / sqrt(mean(x²) + eps) * w   (out may alias x). The sum of squares is
/// accumulated in double, as ggml does, so the scale rounds the same way.
func rmsNorm(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: [Float], _ n: Int, _ eps: Float) {
    var ss: Double = 0
    for i in 0..<n { ss += Double(x[i] * x[i]) }
    let mean = Float(ss / Double(n))
    let inv = 1 / (mean + eps).squareRoot()
    w.withUnsafeBufferPointer { wp in
        for i in 0..<n { out[i] = x[i] * inv * wp[i] }
    }
}

/// y += x for a bias vector.
func add(_ y: UnsafeMutablePointer<Float>, _ x: [Float]) {
    x.withUnsafeBufferPointer { xp in
        guard let base = xp.baseAddress else { return }
        VectorMath.add(base, into: y, count: xp.count)
    }
}

/// gate = act(gate) * up, elementwise, rounded as llama.cpp's CPU backend rounds it.
func gatedActivation(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, _ n: Int, _ act: Architecture.Activation) {
    switch act {
    case .silu: pk_swiglu(gate, up, gate, Int32(n))
    case .geluTanh: pk_geglu(gate, up, gate, Int32(n))
    }
}
