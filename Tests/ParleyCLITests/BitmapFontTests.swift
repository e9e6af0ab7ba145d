import Testing
@testable import ParleyCLI

/// Every character the chart writes has a glyph (a missing one would draw as a box).
@Suite struct BitmapFontTests {
    @Test func coversTheChartsText() {
        let text = SweepPlot.footnote + SweepPlot.legendLabels
            + [SweepPlot.xTitle, SweepPlot.yTitle, "SUCCESS VS ESCALATION SHARE, 0123456789 CASES", "T=0.50", "100%"]
        for ch in text.joined() where ch != " " {
            #expect(BitmapFont.glyph(ch) != BitmapFont.missing, "no glyph for \(ch)")
        }
        #expect(BitmapFont.glyph("a") == BitmapFont.glyph("A") && BitmapFont.glyph("ß") == BitmapFont.missing)
        #expect(BitmapFont.glyphs.values.allSatisfy { $0.count == BitmapFont.height && $0.allSatisfy { $0 < 0x20 } })
    }
}
