/// A minimal PNG encoder for 8-bit RGB images (`parley eval --sweep`'s plot),
/// so the CLI needs no image library: signature, IHDR, one IDAT holding a zlib
/// stream of stored (uncompressed) deflate blocks, IEND; CRC-32 on every chunk.
/// A 640×480 plot is under 1 MB this way, which is fine for a report file.
enum PNGWriter {
    struct SizeError: Error, CustomStringConvertible {
        let description: String
    }

    /// `rgb`: `width * height` pixels, 3 bytes each, rows top to bottom.
    static func encode(width: Int, height: Int, rgb: [UInt8]) throws -> [UInt8] {
        guard width > 0, height > 0, width <= 16_384, height <= 16_384, rgb.count == width * height * 3 else {
            throw SizeError(description: "PNG: \(width)×\(height) needs \(max(0, width * height * 3)) RGB bytes, got \(rgb.count)")
        }
        // Scanlines, each led by filter type 0 (None).
        let stride = width * 3
        var raw: [UInt8] = []
        raw.reserveCapacity((stride + 1) * height)
        for y in 0..<height {
            raw.append(0)
            raw.append(contentsOf: rgb[(y * stride)..<((y + 1) * stride)])
        }

        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var ihdr: [UInt8] = []
        appendBE32(&ihdr, UInt32(width))
        appendBE32(&ihdr, UInt32(height))
        ihdr += [8, 2, 0, 0, 0]  // bit depth 8, colour type 2 (RGB), deflate, adaptive filtering, no interlace
        appendChunk(&png, "IHDR", ihdr)
        appendChunk(&png, "IDAT", zlibStored(raw))
        appendChunk(&png, "IEND", [])
        return png
    }

    /// A zlib stream of stored deflate blocks (at most 65535 bytes each) and the Adler-32 of `data`.
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]  // deflate, 32K window, no preset dictionary; (0x7801 % 31 == 0)
        out.reserveCapacity(data.count + data.count / 65535 * 5 + 16)
        var offset = 0
        repeat {
            let n = min(65535, data.count - offset)
            let final: UInt8 = offset + n == data.count ? 1 : 0
            out.append(final)  // BFINAL, BTYPE 00 (stored); the rest of the byte is padding
            let len = UInt16(n)
            out += [UInt8(len & 0xFF), UInt8(len >> 8), UInt8(~len & 0xFF), UInt8(~len >> 8)]
            out.append(contentsOf: data[offset..<(offset + n)])
            offset += n
        } while offset < data.count
        appendBE32(&out, adler32(data))
        return out
    }

    static func adler32(_ data: [UInt8]) -> UInt32 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        // 5552 bytes is the most that can be summed before the 32-bit sums could overflow.
        var i = 0
        while i < data.count {
            let end = min(data.count, i + 5552)
            for byte in data[i..<end] {
                a += UInt32(byte)
                b += a
            }
            a %= 65521
            b %= 65521
            i = end
        }
        return b << 16 | a
    }

    static func crc32<S: Sequence>(_ bytes: S) -> UInt32 where S.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return ~crc
    }

    /// The reflected CRC-32 table (polynomial 0xEDB88320), as PNG specifies.
    static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    private static func appendChunk(_ png: inout [UInt8], _ type: String, _ data: [UInt8]) {
        appendBE32(&png, UInt32(data.count))
        let typeAndData = Array(type.utf8) + data
        png += typeAndData
        appendBE32(&png, crc32(typeAndData))
    }

    private static func appendBE32(_ out: inout [UInt8], _ v: UInt32) {
        out += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }
}
