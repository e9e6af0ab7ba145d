#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The inverse of a monotonic rational-quadratic spline on [−bound, bound] with
/// identity tails (Durkan et al., "Neural Spline Flows"), as VITS's ConvFlow uses it.
enum RationalQuadraticSpline {
    static let minBinWidth: Float = 1e-3
    static let minBinHeight: Float = 1e-3
    static let minDerivative: Float = 1e-3

    /// Inverts one value. `widths`, `heights`: `bins` unnormalised logits each;
    /// `derivatives`: the `bins − 1` unnormalised inner knot slopes (the outer ones are 1).
    /// `scratch` holds 4·(bins + 1) floats.
    static func inverse(_ y: Float, widths: UnsafePointer<Float>, heights: UnsafePointer<Float>,
                        derivatives: UnsafePointer<Float>, bins: Int, bound: Float,
                        scratch: UnsafeMutablePointer<Float>) -> Float {
        guard y >= -bound, y <= bound else { return y }
        let cumWidths = scratch, cumHeights = scratch + (bins + 1)
        let slopes = scratch + 2 * (bins + 1)
        knots(widths, bins: bins, minBin: minBinWidth, bound: bound, into: cumWidths, scratch: scratch + 3 * (bins + 1))
        knots(heights, bins: bins, minBin: minBinHeight, bound: bound, into: cumHeights, scratch: scratch + 3 * (bins + 1))
        // Outer slopes: min + softplus(log(e^(1 − min) − 1)) = 1, computed the same way as the reference.
        let edge = logf(expf(1 - minDerivative) - 1)
        slopes[0] = minDerivative + VectorMath.softplus(edge)
        slopes[bins] = slopes[0]
        for i in 1..<bins { slopes[i] = minDerivative + VectorMath.softplus(derivatives[i - 1]) }

        // Bin: how many knots (the last nudged up by 1e-6) lie at or below y, minus one.
        var bin = -1
        for i in 0...bins where y >= (i == bins ? cumHeights[i] + 1e-6 : cumHeights[i]) { bin += 1 }
        bin = min(max(bin, 0), bins - 1)

        let x0 = cumWidths[bin], w = cumWidths[bin + 1] - cumWidths[bin]
        let y0 = cumHeights[bin], h = cumHeights[bin + 1] - cumHeights[bin]
        let delta = h / w
        let d0 = slopes[bin], d1 = slopes[bin + 1]
        // Solve the rational quadratic for θ ∈ [0, 1], in its numerically stable root form.
        let dy = y - y0
        let a = dy * (d0 + d1 - 2 * delta) + h * (delta - d0)
        let b = h * d0 - dy * (d0 + d1 - 2 * delta)
        let c = -delta * dy
        let discriminant = b * b - 4 * a * c
        let theta = (2 * c) / (-b - discriminant.squareRoot())
        return theta * w + x0
    }

    /// Knot positions from bin logits: softmax, floor at `minBin`, cumulative sum
    /// mapped onto [−bound, bound] with exact ends.
    private static func knots(_ logits: UnsafePointer<Float>, bins: Int, minBin: Float, bound: Float,
                              into out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        for i in 0..<bins { scratch[i] = logits[i] }
        VectorMath.softmax(scratch, count: bins)
        var sum: Float = 0
        out[0] = -bound
        for i in 0..<bins {
            sum += minBin + (1 - minBin * Float(bins)) * scratch[i]
            out[i + 1] = 2 * bound * sum - bound
        }
        out[bins] = bound
    }
}
