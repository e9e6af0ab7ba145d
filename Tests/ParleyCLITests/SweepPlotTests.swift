import Testing
@testable import ParleyCLI

/// The sweep chart: its parts land where the numbers say, and it encodes to a valid PNG.
@Suite struct SweepPlotTests {
    let sweep = EvalSweep(cases: [
        .init(difficulty: 0.0, localSuccess: true, remoteSuccess: false),
        .init(difficulty: 0.3, localSuccess: true, remoteSuccess: true),
        .init(difficulty: 0.6, localSuccess: false, remoteSuccess: true),
        .init(difficulty: 0.9, localSuccess: false, remoteSuccess: true),
    ], thresholds: EvalSweep.thresholds(steps: 21))

    @Test func rangeLeavesRoomAroundTheValues() {
        // Values 50%...100%: one tenth of room below, capped at 100% above.
        let r = SweepPlot.successRange(sweep)
        #expect(r.lo == 0.4 && r.hi == 1.0)
        let narrow = EvalSweep(cases: [.init(difficulty: 0.5, localSuccess: false, remoteSuccess: false)], thresholds: [0, 1.05])
        #expect(SweepPlot.successRange(narrow).lo == 0 && SweepPlot.successRange(narrow).hi == 0.2)
    }

    @Test func drawsEachSeriesInItsColour() throws {
        let img = SweepPlot.draw(sweep, cases: 4)
        let range = SweepPlot.successRange(sweep)
        func at(_ share: Double, _ success: Double) -> Raster.Colour? {
            img.pixel(SweepPlot.x(share: share), SweepPlot.y(success: success, range: range))
        }
        #expect(img.width == 640 && img.height == 480)
        #expect(at(0, sweep.localSuccess) == SweepPlot.local)
        #expect(at(1, sweep.remoteSuccess) == SweepPlot.remote)
        // Router points: (0.5, 100%) and (0.25, 75%).
        #expect(at(0.5, 1) == SweepPlot.router && at(0.25, 0.75) == SweepPlot.router)
        // Random routing at share 0.25 is 56.25%, a grey pixel on or next to the line.
        let x = SweepPlot.x(share: 0.25), y = SweepPlot.y(success: 0.5625, range: range)
        #expect((-1...1).contains { img.pixel(x, y + $0) == SweepPlot.random })
        // Background stays white away from everything (inside the plot, between grid lines).
        #expect(img.pixel(SweepPlot.x(share: 0.05), SweepPlot.y(success: 0.97, range: range)) == .white)
        let png = try PNGWriter.encode(width: img.width, height: img.height, rgb: img.rgb)
        let decoded = try PNGWriterTests.decode(png)
        #expect(decoded.width == 640 && decoded.height == 480 && decoded.pixels == img.rgb)
    }
}
