/// Draws `parley eval --sweep`'s chart: success (y) against escalation share (x)
/// for the router over its thresholds (blue), random routing (grey line),
/// local only (orange, share 0) and remote only (green, share 1).
enum SweepPlot {
    static let width = 640
    static let height = 480
    // The plot area, in pixels; the rest holds the title, tick labels and the footnote.
    static let left = 72, right = 616, top = 46, bottom = 396

    static let router = Raster.Colour(r: 31, g: 88, b: 200)
    static let random = Raster.Colour(r: 150, g: 150, b: 150)
    static let local = Raster.Colour(r: 232, g: 120, b: 20)
    static let remote = Raster.Colour(r: 30, g: 150, b: 60)
    static let grid = Raster.Colour(r: 228, g: 228, b: 228)
    static let ink = Raster.Colour(r: 40, g: 40, b: 40)

    /// The y range: whole tenths with at least 2 points of room around every plotted
    /// value (so markers clear the frame), at least 0.2 wide, within 0...1.
    static let xTitle = "ESCALATED TO THE REMOTE MODEL (SHARE OF CASES)"
    static let yTitle = "CASES SUCCEEDED"
    /// The method, on the chart itself, so the figure is not mistaken for routed runs.
    static let footnote = ["ROUTER CURVE COMPUTED FROM THE PER-CASE OUTCOMES OF THE LOCAL-ONLY",
                           "AND REMOTE-ONLY RUNS; RANDOM = SHARE X REMOTE + (1 - SHARE) X LOCAL"]
    static let legendLabels = ["ROUTER, OVER THRESHOLDS", "RANDOM ROUTING", "LOCAL ONLY", "REMOTE ONLY"]

    static func successRange(_ sweep: EvalSweep) -> (lo: Double, hi: Double) {
        let values = [sweep.localSuccess, sweep.remoteSuccess] + sweep.points.map(\.routedSuccess)
        let minV = values.min() ?? 0, maxV = values.max() ?? 1
        var lo = max(0, ((minV - 0.02) * 10).rounded(.down) / 10)
        var hi = min(1, ((maxV + 0.02) * 10).rounded(.up) / 10)
        if hi - lo < 0.2 {
            hi = min(1, lo + 0.2)
            lo = max(0, hi - 0.2)
        }
        return (lo, hi)
    }

    /// Pixel column of an escalation share (clamped to 0...1).
    static func x(share: Double) -> Int {
        let s = share.isFinite ? min(1, max(0, share)) : 0
        return left + Int((s * Double(right - left)).rounded())
    }

    /// Pixel row of a success rate within the plot's y range (clamped to it).
    static func y(success: Double, range: (lo: Double, hi: Double)) -> Int {
        let v = success.isFinite ? min(range.hi, max(range.lo, success)) : range.lo
        return bottom - Int(((v - range.lo) / (range.hi - range.lo) * Double(bottom - top)).rounded())
    }

    static func draw(_ sweep: EvalSweep, cases: Int) -> Raster {
        var img = Raster(width: width, height: height)
        let range = successRange(sweep)
        let (lo, hi) = range
        func px(_ share: Double) -> Int { x(share: share) }
        func py(_ success: Double) -> Int { y(success: success, range: range) }

        // Grid and ticks: every 10% of escalation; every 5% of success when the range is narrow.
        let yStep = hi - lo <= 0.3 ? 0.05 : 0.1
        let yTicks = Int(((hi - lo) / yStep).rounded())
        for i in 0...10 {
            let x = px(Double(i) / 10)
            img.fill(x: x, y: top, w: 1, h: bottom - top, grid)
            img.fill(x: x, y: bottom, w: 1, h: 5, ink)
            let label = "\(i * 10)%"
            img.text(label, x: x - Raster.textWidth(label) / 2, y: bottom + 9, ink)
        }
        for i in 0...yTicks {
            let v = lo + Double(i) * yStep
            let y = py(v)
            img.fill(x: left, y: y, w: right - left, h: 1, grid)
            img.fill(x: left - 5, y: y, w: 5, h: 1, ink)
            let label = String(fixed: v * 100, decimals: 0) + "%"
            img.text(label, x: left - 9 - Raster.textWidth(label), y: y - 3, ink)
        }
        // The 50% escalation line the report's "best threshold" is held to.
        img.dashedLine(px(0.5), top, px(0.5), bottom, random)
        img.frame(x: left, y: top, w: right - left + 1, h: bottom - top + 1, ink)

        let title = "SUCCESS VS ESCALATION SHARE, \(cases) CASES"
        img.text(title, x: (width - Raster.textWidth(title, scale: 2)) / 2, y: 14, ink, scale: 2)
        img.text(xTitle, x: left + (right - left - Raster.textWidth(xTitle)) / 2, y: bottom + 24, ink)
        img.verticalText(yTitle, x: 14, bottom: top + (bottom - top + Raster.textWidth(yTitle)) / 2, ink)
        for (i, line) in footnote.enumerated() {
            img.text(line, x: (width - Raster.textWidth(line)) / 2, y: bottom + 44 + i * 11, random)
        }

        // Random routing: the straight line between the two single-model points.
        img.line(px(0), py(sweep.localSuccess), px(1), py(sweep.remoteSuccess), random, thickness: 2)

        // Router: thresholds descending give escalation ascending, left to right.
        let curve = sweep.points.reversed().map { (px($0.escalationShare), py($0.routedSuccess)) }
        for (a, b) in zip(curve, curve.dropFirst()) { img.line(a.0, a.1, b.0, b.1, router, thickness: 2) }
        for p in curve { img.disc(p.0, p.1, radius: 3, router) }
        if let best = sweep.best() {
            let (x, y) = (px(best.escalationShare), py(best.routedSuccess))
            ring(&img, x, y)
            let label = "T=" + String(fixed: best.threshold, decimals: 2)
            // On a white patch, so the label stays legible where it crosses a line.
            img.fill(x: x + 7, y: y - 16, w: Raster.textWidth(label) + 3, h: 11, .white)
            img.text(label, x: x + 9, y: y - 14, router)
        }

        img.fill(x: px(0) - 5, y: py(sweep.localSuccess) - 5, w: 11, h: 11, local)
        img.fill(x: px(1) - 5, y: py(sweep.remoteSuccess) - 5, w: 11, h: 11, remote)

        legend(&img)
        return img
    }

    /// A hollow circle marking the best threshold at most half escalated.
    private static func ring(_ img: inout Raster, _ cx: Int, _ cy: Int) {
        for dy in -7...7 { for dx in -7...7 {
            let d = dx * dx + dy * dy
            if d >= 30 && d <= 49 { img.set(cx + dx, cy + dy, ink) }
        } }
    }

    /// Bottom right of the plot area, where the curves (which rise left to right) rarely are.
    private static func legend(_ img: inout Raster) {
        let entries: [(String, Raster.Colour, Int)] = [
            (legendLabels[0], router, 0), (legendLabels[1], random, 1),
            (legendLabels[2], local, 2), (legendLabels[3], remote, 2),
        ]
        let w = 196, h = 12 + entries.count * 14
        let x = right - w - 8, y = bottom - h - 8
        img.fill(x: x, y: y, w: w, h: h, .white)
        img.frame(x: x, y: y, w: w, h: h, ink)
        for (i, (label, colour, style)) in entries.enumerated() {
            let cy = y + 10 + i * 14
            switch style {
            case 0:
                img.line(x + 8, cy, x + 30, cy, colour, thickness: 2)
                img.disc(x + 19, cy, radius: 3, colour)
            case 1:
                img.line(x + 8, cy, x + 30, cy, colour, thickness: 2)
            default:
                img.fill(x: x + 14, y: cy - 5, w: 11, h: 11, colour)
            }
            img.text(label, x: x + 40, y: cy - 3, ink)
        }
    }
}
