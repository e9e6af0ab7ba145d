#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// In-place complex radix-2 FFT of one fixed power-of-two size, twiddles and
/// bit-reversal precomputed so a transform allocates nothing.
final class FFT {
    let size: Int
    /// cos and sin of 2πk/size for k < size/2
    private let cosines: [Float]
    private let sines: [Float]
    private let reversed: [Int]

    /// - size: rounded up to a power of two in 2…65536.
    init(size requested: Int) {
        var n = 2
        while n < min(max(requested, 2), 65536) { n *= 2 }
        size = n
        cosines = (0..<n / 2).map { Float(cos(2 * Double.pi * Double($0) / Double(n))) }
        sines = (0..<n / 2).map { Float(sin(2 * Double.pi * Double($0) / Double(n))) }
        var bits = 0
        while 1 << bits < n { bits += 1 }
        reversed = (0..<n).map { i in
            var r = 0
            for b in 0..<bits where i & (1 << b) != 0 { r |= 1 << (bits - 1 - b) }
            return r
        }
    }

    /// Transforms `re`, `im` (each `size` long) in place; the inverse is scaled by 1/size.
    func transform(re: UnsafeMutablePointer<Float>, im: UnsafeMutablePointer<Float>, inverse: Bool) {
        let n = size
        reversed.withUnsafeBufferPointer { rev in
            for i in 0..<n {
                let j = rev[i]
                if j > i {
                    swap(&re[i], &re[j])
                    swap(&im[i], &im[j])
                }
            }
        }
        cosines.withUnsafeBufferPointer { cs in
            sines.withUnsafeBufferPointer { sn in
                var length = 2
                while length <= n {
                    let half = length / 2, step = n / length
                    var start = 0
                    while start < n {
                        for k in 0..<half {
                            let wr = cs[k * step], wi = inverse ? sn[k * step] : -sn[k * step]
                            let a = start + k, b = a + half
                            let tr = re[b] * wr - im[b] * wi
                            let ti = re[b] * wi + im[b] * wr
                            re[b] = re[a] - tr
                            im[b] = im[a] - ti
                            re[a] += tr
                            im[a] += ti
                        }
                        start += length
                    }
                    length *= 2
                }
            }
        }
        if inverse {
            let scale = 1 / Float(n)
            for i in 0..<n {
                re[i] *= scale
                im[i] *= scale
            }
        }
    }
}
