import Testing
@testable import ParleyCLI

/// The PNG encoder, checked by decoding its output here with independent code:
/// chunk layout, every CRC-32, the zlib header and Adler-32, stored deflate
/// blocks, dimensions and pixels.
@Suite struct PNGWriterTests {
    struct Decoded {
        var width = 0, height = 0
        var chunkTypes: [String] = []
        var pixels: [UInt8] = []
    }

    enum DecodeError: Error { case bad(String) }

    /// Bitwise CRC-32 (no table), so the test does not share the encoder's.
    static func crc(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c >> 1) ^ (c & 1 == 0 ? 0 : 0xEDB8_8320) }
        }
        return ~c
    }

    static func adler(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        for x in bytes { a = (a + UInt32(x)) % 65521; b = (b + a) % 65521 }
        return b << 16 | a
    }

    static func be32(_ p: [UInt8], _ i: Int) -> UInt32 {
        UInt32(p[i]) << 24 | UInt32(p[i + 1]) << 16 | UInt32(p[i + 2]) << 8 | UInt32(p[i + 3])
    }

    static func decode(_ png: [UInt8]) throws -> Decoded {
        guard png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { throw DecodeError.bad("signature") }
        var d = Decoded()
        var idat: [UInt8] = []
        var i = 8
        while i < png.count {
            guard i + 12 <= png.count else { throw DecodeError.bad("truncated chunk") }
            let length = Int(be32(png, i))
            guard i + 12 + length <= png.count else { throw DecodeError.bad("chunk overruns") }
            let type = String(decoding: png[(i + 4)..<(i + 8)], as: UTF8.self)
            let data = Array(png[(i + 8)..<(i + 8 + length)])
            guard be32(png, i + 8 + length) == crc(png[(i + 4)..<(i + 8 + length)]) else { throw DecodeError.bad("CRC of \(type)") }
            d.chunkTypes.append(type)
            switch type {
            case "IHDR":
                guard length == 13 else { throw DecodeError.bad("IHDR length") }
                d.width = Int(be32(data, 0))
                d.height = Int(be32(data, 4))
                guard Array(data[8...]) == [8, 2, 0, 0, 0] else { throw DecodeError.bad("IHDR format") }
            case "IDAT":
                idat += data
            default:
                break
            }
            i += 12 + length
        }
        // zlib: CMF/FLG, then stored blocks only, then Adler-32 of the inflated bytes.
        guard idat.count >= 6, idat[0] & 0x0F == 8, (UInt16(idat[0]) << 8 | UInt16(idat[1])) % 31 == 0,
              idat[1] & 0x20 == 0 else { throw DecodeError.bad("zlib header") }
        var raw: [UInt8] = []
        var p = 2
        while true {
            guard p + 5 <= idat.count else { throw DecodeError.bad("block header") }
            let header = idat[p]
            guard (header >> 1) & 3 == 0 else { throw DecodeError.bad("not a stored block") }
            let len = Int(idat[p + 1]) | Int(idat[p + 2]) << 8
            let nlen = Int(idat[p + 3]) | Int(idat[p + 4]) << 8
            guard len ^ nlen == 0xFFFF, p + 5 + len <= idat.count else { throw DecodeError.bad("LEN/NLEN") }
            raw += idat[(p + 5)..<(p + 5 + len)]
            p += 5 + len
            if header & 1 == 1 { break }
        }
        guard p + 4 == idat.count, be32(idat, p) == adler(raw) else { throw DecodeError.bad("Adler-32") }
        // Scanlines: filter byte 0, then RGB.
        let stride = d.width * 3
        guard raw.count == d.height * (stride + 1) else { throw DecodeError.bad("image data size") }
        for y in 0..<d.height {
            guard raw[y * (stride + 1)] == 0 else { throw DecodeError.bad("filter type") }
            d.pixels += raw[(y * (stride + 1) + 1)..<((y + 1) * (stride + 1))]
        }
        return d
    }

    @Test func smallImageRoundTrips() throws {
        // 3×2: red, green, blue / white, black, grey.
        let rgb: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 128, 128, 128]
        let d = try Self.decode(try PNGWriter.encode(width: 3, height: 2, rgb: rgb))
        #expect(d.width == 3 && d.height == 2)
        #expect(d.chunkTypes == ["IHDR", "IDAT", "IEND"])
        #expect(d.pixels == rgb)
    }

    @Test func largeImageSpansSeveralStoredBlocks() throws {
        // 640×480 RGB is 922,080 bytes of scanlines: 15 stored blocks.
        var r = Raster(width: 640, height: 480)
        r.set(0, 0, .black)
        r.set(639, 479, Raster.Colour(r: 1, g: 2, b: 3))
        r.fill(x: 100, y: 200, w: 10, h: 10, Raster.Colour(r: 31, g: 88, b: 200))
        let png = try PNGWriter.encode(width: r.width, height: r.height, rgb: r.rgb)
        let d = try Self.decode(png)
        #expect(d.width == 640 && d.height == 480 && d.pixels == r.rgb)
        func at(_ x: Int, _ y: Int) -> [UInt8] { Array(d.pixels[((y * 640 + x) * 3)..<((y * 640 + x) * 3 + 3)]) }
        #expect(at(0, 0) == [0, 0, 0] && at(639, 479) == [1, 2, 3] && at(1, 0) == [255, 255, 255])
        #expect(at(105, 205) == [31, 88, 200] && at(110, 205) == [255, 255, 255])
    }

    @Test func knownChecksums() {
        // Reference values: CRC-32 and Adler-32 of "123456789" / "Wikipedia".
        #expect(PNGWriter.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(PNGWriter.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
        #expect(PNGWriter.adler32([]) == 1)
        // The IEND chunk every PNG ends with.
        #expect(PNGWriter.crc32(Array("IEND".utf8)) == 0xAE42_6082)
    }

    @Test func adlerOverLongRuns() {
        // Long runs of 0xFF exercise the deferred modulo.
        let bytes = [UInt8](repeating: 0xFF, count: 100_000)
        #expect(PNGWriter.adler32(bytes) == Self.adler(bytes))
    }

    @Test func rejectsWrongSizes() {
        #expect(throws: PNGWriter.SizeError.self) { try PNGWriter.encode(width: 2, height: 2, rgb: [0, 0, 0]) }
        #expect(throws: PNGWriter.SizeError.self) { try PNGWriter.encode(width: 0, height: 2, rgb: []) }
    }
}
