/// An 8-bit RGB pixel buffer with the few drawing operations a chart needs.
/// Everything is clipped to the image, so callers may draw partly outside it.
struct Raster: Sendable {
    struct Colour: Sendable, Equatable {
        var r: UInt8, g: UInt8, b: UInt8
        static let white = Colour(r: 255, g: 255, b: 255)
        static let black = Colour(r: 0, g: 0, b: 0)
    }

    let width: Int
    let height: Int
    /// Row-major, 3 bytes a pixel, top row first (PNGWriter's layout).
    private(set) var rgb: [UInt8]

    init(width: Int, height: Int, background: Colour = .white) {
        self.width = max(1, width)
        self.height = max(1, height)
        rgb = [UInt8](repeating: 0, count: self.width * self.height * 3)
        fill(x: 0, y: 0, w: self.width, h: self.height, background)
    }

    func pixel(_ x: Int, _ y: Int) -> Colour? {
        guard (0..<width).contains(x), (0..<height).contains(y) else { return nil }
        let i = (y * width + x) * 3
        return Colour(r: rgb[i], g: rgb[i + 1], b: rgb[i + 2])
    }

    mutating func set(_ x: Int, _ y: Int, _ c: Colour) {
        guard (0..<width).contains(x), (0..<height).contains(y) else { return }
        let i = (y * width + x) * 3
        rgb[i] = c.r
        rgb[i + 1] = c.g
        rgb[i + 2] = c.b
    }

    mutating func fill(x: Int, y: Int, w: Int, h: Int, _ c: Colour) {
        let x0 = max(0, x), x1 = min(width, x + w)
        let y0 = max(0, y), y1 = min(height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        for yy in y0..<y1 { for xx in x0..<x1 { set(xx, yy, c) } }
    }

    /// A one-pixel rectangle outline.
    mutating func frame(x: Int, y: Int, w: Int, h: Int, _ c: Colour) {
        fill(x: x, y: y, w: w, h: 1, c)
        fill(x: x, y: y + h - 1, w: w, h: 1, c)
        fill(x: x, y: y, w: 1, h: h, c)
        fill(x: x + w - 1, y: y, w: 1, h: h, c)
    }

    /// A straight line (Bresenham), `thickness` pixels wide (a square pen).
    mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: Colour, thickness: Int = 1) {
        let t = max(1, min(thickness, 16))
        let lo = -(t - 1) / 2
        var x = x0, y = y0
        let dx = abs(x1 - x0), dy = -abs(y1 - y0)
        let sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var err = dx + dy
        // Bounded by the longer side, so a far-off endpoint cannot loop long.
        for _ in 0...(max(dx, -dy)) {
            fill(x: x + lo, y: y + lo, w: t, h: t, c)
            if x == x1 && y == y1 { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }

    /// A dashed line: `on` pixels drawn, `off` skipped, along the longer axis.
    mutating func dashedLine(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: Colour, on: Int = 6, off: Int = 4) {
        let steps = max(abs(x1 - x0), abs(y1 - y0))
        let period = max(1, on + off)
        for i in 0...steps where i % period < on {
            let f = steps == 0 ? 0 : Double(i) / Double(steps)
            set(x0 + Int((Double(x1 - x0) * f).rounded()), y0 + Int((Double(y1 - y0) * f).rounded()), c)
        }
    }

    /// A filled disc of radius `r` centred on (cx, cy).
    mutating func disc(_ cx: Int, _ cy: Int, radius r: Int, _ c: Colour) {
        let r = max(0, min(r, 64))
        for dy in -r...r { for dx in -r...r where dx * dx + dy * dy <= r * r + r { set(cx + dx, cy + dy, c) } }
    }

    /// Text in the built-in 5×7 font, top-left at (x, y); each font pixel drawn as `scale`×`scale`.
    mutating func text(_ s: String, x: Int, y: Int, _ c: Colour, scale: Int = 1) {
        let k = max(1, min(scale, 8))
        var pen = x
        for ch in s {
            let rows = BitmapFont.glyph(ch)
            for (row, bits) in rows.enumerated() {
                for col in 0..<BitmapFont.width where bits & (0x10 >> UInt8(col)) != 0 {
                    fill(x: pen + col * k, y: y + row * k, w: k, h: k, c)
                }
            }
            pen += BitmapFont.advance * k
        }
    }

    /// Text drawn bottom to top (a y-axis title), its first character at the bottom.
    mutating func verticalText(_ s: String, x: Int, bottom y: Int, _ c: Colour, scale: Int = 1) {
        let k = max(1, min(scale, 8))
        var pen = y
        for ch in s {
            let rows = BitmapFont.glyph(ch)
            // Rotated 90° anticlockwise: font column → up the image, font row → right.
            for (row, bits) in rows.enumerated() {
                for col in 0..<BitmapFont.width where bits & (0x10 >> UInt8(col)) != 0 {
                    fill(x: x + row * k, y: pen - (col + 1) * k, w: k, h: k, c)
                }
            }
            pen -= BitmapFont.advance * k
        }
    }

    static func textWidth(_ s: String, scale: Int = 1) -> Int {
        max(0, s.count * BitmapFont.advance * max(1, scale) - max(1, scale))
    }
}
