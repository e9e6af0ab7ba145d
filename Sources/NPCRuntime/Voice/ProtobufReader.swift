/// A bounds-checked reader of the protobuf wire format over a byte range.
/// Offsets are absolute (into the whole buffer) so length-delimited fields can be
/// handed on as sub-ranges and large payloads (tensor data) stay where they are.
struct ProtobufReader {
    /// One field's payload. Length-delimited payloads are byte ranges, not copies.
    enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case fixed32(UInt32)
        case bytes(Range<Int>)
    }

    struct Field {
        let number: Int
        let value: Value
    }

    let buffer: UnsafeRawBufferPointer
    let end: Int
    private(set) var offset: Int

    /// A reader over `range` of `buffer`; the range must lie inside the buffer.
    init(_ buffer: UnsafeRawBufferPointer, range: Range<Int>) throws(ONNXError) {
        guard range.lowerBound >= 0, range.upperBound <= buffer.count else {
            throw .truncated("message range \(range) outside the \(buffer.count)-byte buffer")
        }
        self.buffer = buffer
        self.offset = range.lowerBound
        self.end = range.upperBound
    }

    var isAtEnd: Bool { offset >= end }

    /// The next field, or nil at the end of the message.
    mutating func next() throws(ONNXError) -> Field? {
        guard offset < end else { return nil }
        let key = try varint()
        let number = key >> 3
        guard number >= 1, number <= (1 << 29) - 1 else { throw .malformed("field number \(number) at offset \(offset)") }
        switch key & 7 {
        case 0:
            return Field(number: Int(number), value: .varint(try varint()))
        case 1:
            let at = try take(8)
            return Field(number: Int(number), value: .fixed64(UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: at, as: UInt64.self))))
        case 2:
            let length = try varint()
            guard length <= UInt64(end - offset) else {
                throw .truncated("field \(number): \(length) bytes declared, \(end - offset) left in the message")
            }
            let at = try take(Int(length))
            return Field(number: Int(number), value: .bytes(at..<at + Int(length)))
        case 5:
            let at = try take(4)
            return Field(number: Int(number), value: .fixed32(UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: at, as: UInt32.self))))
        default:
            // 3 and 4 are the deprecated groups, which ONNX never writes; 6 and 7 do not exist.
            throw .malformed("field \(number): wire type \(key & 7) at offset \(offset)")
        }
    }

    private mutating func take(_ n: Int) throws(ONNXError) -> Int {
        guard n <= end - offset else { throw .truncated("need \(n) bytes at offset \(offset), \(end - offset) left") }
        let at = offset
        offset += n
        return at
    }

    /// A base-128 varint of at most 10 bytes; the tenth may only carry the top bit.
    private mutating func varint() throws(ONNXError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < end else { throw .truncated("varint runs past the end of the message at offset \(offset)") }
            let byte = buffer[offset]
            offset += 1
            if shift == 63, byte > 1 { throw .malformed("varint overflows 64 bits at offset \(offset - 1)") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    // MARK: Payload decoding

    /// A length-delimited payload as UTF-8 text (invalid bytes are replaced, never trapped on).
    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: buffer[range]), as: UTF8.self)
    }

    /// Appends a repeated varint field's values, packed (bytes) or not (one varint).
    func appendVarints(_ value: Value, to out: inout [Int64]) throws(ONNXError) {
        switch value {
        case let .varint(v):
            out.append(Int64(bitPattern: v))
        case let .bytes(range):
            var packed = try ProtobufReader(buffer, range: range)
            while !packed.isAtEnd { out.append(Int64(bitPattern: try packed.varint())) }
        default:
            throw .malformed("repeated integer field with a fixed-width wire type")
        }
    }

    /// Appends a repeated float field's values, packed (bytes) or not (one fixed32).
    func appendFloats(_ value: Value, to out: inout [Float]) throws(ONNXError) {
        switch value {
        case let .fixed32(bits):
            out.append(Float(bitPattern: bits))
        case let .bytes(range):
            guard range.count % 4 == 0 else { throw .malformed("packed floats of \(range.count) bytes") }
            out.reserveCapacity(out.count + range.count / 4)
            for at in stride(from: range.lowerBound, to: range.upperBound, by: 4) {
                out.append(Float(bitPattern: UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: at, as: UInt32.self))))
            }
        default:
            throw .malformed("repeated float field with a varint or fixed64 wire type")
        }
    }
}

extension ProtobufReader.Value {
    /// The payload as a signed integer (int32/int64 fields are varints).
    func integer() throws(ONNXError) -> Int64 {
        guard case let .varint(v) = self else { throw .malformed("integer field with a non-varint wire type") }
        return Int64(bitPattern: v)
    }

    func byteRange() throws(ONNXError) -> Range<Int> {
        guard case let .bytes(r) = self else { throw .malformed("length-delimited field with another wire type") }
        return r
    }

    func float() throws(ONNXError) -> Float {
        guard case let .fixed32(bits) = self else { throw .malformed("float field with a non-fixed32 wire type") }
        return Float(bitPattern: bits)
    }
}
