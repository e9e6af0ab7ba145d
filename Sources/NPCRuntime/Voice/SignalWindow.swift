/// A stretch of a longer signal: `map` holds the global time columns
/// `start ..< start + map.length` of a signal `total` columns long. The voice's
/// convolutions read and write windows, so the decoder can work on one piece
/// of a sentence at a time; columns outside `0 ..< total` are zero padding.
struct SignalWindow {
    var map: FeatureMap
    /// Global index of the map's first column.
    var start: Int

    init(_ map: FeatureMap, start: Int = 0) {
        self.map = map
        self.start = start
    }

    var columns: Range<Int> { start ..< start + map.length }

    /// Row `c` at global column `t` (which must lie in `columns`).
    func pointer(_ c: Int, _ t: Int) -> UnsafeMutablePointer<Float> { map.row(c) + (t - start) }
}

extension Range where Bound == Int {
    /// The range grown by `left` and `right`, clipped to `0 ..< total`.
    func expanded(_ left: Int, _ right: Int, within total: Int) -> Range<Int> {
        let lo = Swift.max(0, Swift.min(total, lowerBound - left))
        return lo ..< Swift.max(lo, Swift.min(total, upperBound + right))
    }
}
