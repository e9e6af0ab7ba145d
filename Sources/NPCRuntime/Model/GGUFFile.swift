/// A GGUF (v2/v3) file read through mmap. Every count, offset and size is
/// checked against the file before it is used or allocated for.
public enum GGUFError: ParleyErrorConvertible, Equatable, CustomStringConvertible {
    case truncated(at: Int, need: Int)
    case badMagic
    case unsupportedVersion(UInt32)
    case unknownValueType(UInt32, key: String)
    case unknownTensorType(UInt32, tensor: String)
    case overflow(String)
    case outOfBounds(String)
    case invalid(String)

    public var kind: ErrorKind {
        switch self {
        case .unknownTensorType, .unsupportedVersion: return .unsupportedModel
        default: return .badModel
        }
    }

    public var message: String {
        switch self {
        case let .truncated(at, need): return "GGUF truncated: need \(need) bytes at offset \(at)"
        case .badMagic: return "not a GGUF file (bad magic)"
        case let .unsupportedVersion(v): return "unsupported GGUF version \(v) (2 and 3 are supported)"
        case let .unknownValueType(t, key): return "GGUF metadata \(key): unknown value type \(t)"
        case let .unknownTensorType(t, name): return "GGUF tensor \(name): unknown or unsupported tensor type \(t)"
        case let .overflow(what): return "GGUF size overflow: \(what)"
        case let .outOfBounds(what): return "GGUF out of bounds: \(what)"
        case let .invalid(what): return "GGUF invalid: \(what)"
        }
    }
    public var description: String { message }
}

/// A metadata value. Arrays keep their element type; numbers are widened.
public indirect enum GGUFValue: Sendable, Equatable {
    case int(Int64, GGUFValueType)
    case uint(UInt64, GGUFValueType)
    case float(Double, GGUFValueType)
    case bool(Bool)
    case string(String)
    case array(GGUFValueType, [GGUFValue])
    /// Compact arrays for the big tokenizer tables.
    case strings([String])
    case floats([Float])
    case ints([Int32])

    public var stringValue: String? { if case let .string(s) = self { return s }; return nil }
    public var intValue: Int? {
        switch self {
        case let .int(v, _): return Int(exactly: v)
        case let .uint(v, _): return Int(exactly: v)
        case let .bool(b): return b ? 1 : 0
        default: return nil
        }
    }
    public var doubleValue: Double? {
        switch self {
        case let .float(v, _): return v
        case let .int(v, _): return Double(v)
        case let .uint(v, _): return Double(v)
        default: return nil
        }
    }
    public var boolValue: Bool? {
        switch self {
        case let .bool(b): return b
        case let .int(v, _): return v != 0
        case let .uint(v, _): return v != 0
        default: return nil
        }
    }
    public var count: Int {
        switch self {
        case let .array(_, a): return a.count
        case let .strings(a): return a.count
        case let .floats(a): return a.count
        case let .ints(a): return a.count
        default: return 1
        }
    }
}

public enum GGUFValueType: UInt32, Sendable {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6
    case bool = 7, string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// Smallest encoded size of one element, used to bound counts before allocating.
    var minimumBytes: Int {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64, .string: return 8
        case .array: return 12
        }
    }
}

public struct GGUFTensorInfo: Sendable {
    public let name: String
    /// ggml order: innermost (contiguous) dimension first.
    public let dims: [Int]
    public let type: GGMLType
    /// Offset from the start of the file.
    public let fileOffset: Int
    public let byteCount: Int
    public var elementCount: Int { dims.reduce(1, *) }
}

public final class GGUFFile: @unchecked Sendable {
    public let file: MappedFile
    /// Start of the mapping (a valid GGUF is never empty).
    private let base: UnsafeRawPointer
    public let version: UInt32
    public let alignment: Int
    public let dataOffset: Int
    /// Metadata in file order.
    public let metadata: [(key: String, value: GGUFValue)]
    public let tensors: [GGUFTensorInfo]
    private let metadataIndex: [String: Int]
    private let tensorIndex: [String: Int]

    public static let maxDims = 4

    public convenience init(path: String) throws(RuntimeError) {
        let file = try MappedFile(path: path)
        do {
            try self.init(file: file)
        } catch {
            throw RuntimeError(error.kind, "\(path): \(error.message)")
        }
    }

    public init(file: MappedFile) throws(GGUFError) {
        self.file = file
        var r = ByteReader(file.bytes)
        guard let base = file.base, file.size >= 4, try r.u32() == 0x4655_4747 else { throw .badMagic }
        self.base = base
        version = try r.u32()
        guard version == 2 || version == 3 else { throw .unsupportedVersion(version) }
        let tensorCount = try r.count("tensor count", minimumBytes: 8 + 4 + 8 + 4 + 8)
        let kvCount = try r.count("metadata count", minimumBytes: 8 + 4)

        var metadata: [(key: String, value: GGUFValue)] = []
        metadata.reserveCapacity(kvCount)
        var metadataIndex: [String: Int] = [:]
        for _ in 0..<kvCount {
            let key = try r.string()
            let rawType = try r.u32()
            guard let type = GGUFValueType(rawValue: rawType) else { throw .unknownValueType(rawType, key: key) }
            let value = try r.value(type, key: key, depth: 0)
            // As ggml's reader: a repeated key makes the file ambiguous.
            guard metadataIndex[key] == nil else { throw .invalid("duplicate metadata key \(key)") }
            metadataIndex[key] = metadata.count
            metadata.append((key, value))
        }

        var alignment = 32
        if let i = metadataIndex["general.alignment"] {
            guard let a = metadata[i].value.intValue, a > 0, a <= 1 << 20, a & (a - 1) == 0 else {
                throw .invalid("general.alignment must be a power of two")
            }
            alignment = a
        }
        self.alignment = alignment

        struct Pending { let name: String; let dims: [Int]; let type: GGMLType; let offset: Int; let bytes: Int }
        var pending: [Pending] = []
        pending.reserveCapacity(tensorCount)
        var tensorIndex: [String: Int] = [:]
        for _ in 0..<tensorCount {
            let name = try r.string()
            let nDims = Int(try r.u32())
            guard nDims >= 1 && nDims <= Self.maxDims else { throw .invalid("tensor \(name): \(nDims) dimensions") }
            var dims: [Int] = []
            var elements = 1
            for _ in 0..<nDims {
                let d = try r.u64()
                guard d > 0, d < (1 << 40) else { throw .invalid("tensor \(name): dimension \(d)") }
                dims.append(Int(d))
                let (e, o) = elements.multipliedReportingOverflow(by: Int(d))
                guard !o else { throw .overflow("tensor \(name) element count") }
                elements = e
            }
            let rawType = try r.u32()
            guard let type = GGMLType(rawValue: rawType) else { throw .unknownTensorType(rawType, tensor: name) }
            guard dims[0] % type.blockSize == 0, let bytes = type.byteCount(elements: elements) else {
                throw .invalid("tensor \(name): \(dims[0]) is not a multiple of the \(type.name) block size \(type.blockSize)")
            }
            let offset = try r.u64()
            guard offset < UInt64(file.size) else { throw .outOfBounds("tensor \(name) offset \(offset)") }
            guard tensorIndex[name] == nil else { throw .invalid("duplicate tensor \(name)") }
            tensorIndex[name] = pending.count
            pending.append(Pending(name: name, dims: dims, type: type, offset: Int(offset), bytes: bytes))
        }

        let (aligned, o) = r.offset.addingReportingOverflow(alignment - 1)
        guard !o else { throw .overflow("data offset") }
        dataOffset = aligned / alignment * alignment
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(pending.count)
        for t in pending {
            guard t.offset % alignment == 0 else { throw .invalid("tensor \(t.name) offset \(t.offset) not aligned to \(alignment)") }
            let (start, o1) = dataOffset.addingReportingOverflow(t.offset)
            let (end, o2) = start.addingReportingOverflow(t.bytes)
            guard !o1, !o2, end <= file.size else {
                throw .outOfBounds("tensor \(t.name) (\(t.bytes) bytes at \(start)) ends past the file end \(file.size)")
            }
            tensors.append(GGUFTensorInfo(name: t.name, dims: t.dims, type: t.type, fileOffset: start, byteCount: t.bytes))
        }
        self.metadata = metadata
        self.metadataIndex = metadataIndex
        self.tensors = tensors
        self.tensorIndex = tensorIndex
    }

    public subscript(key: String) -> GGUFValue? {
        metadataIndex[key].map { metadata[$0].value }
    }

    public func tensor(_ name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// Raw bytes of a tensor, borrowed from the mapping (bounds checked at load).
    public func data(of tensor: GGUFTensorInfo) -> UnsafeRawPointer {
        // In bounds: fileOffset + byteCount <= file.size was checked in init.
        base.advanced(by: tensor.fileOffset)
    }
}

/// Bounds-checked little-endian reader over a byte buffer.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func take(_ n: Int) throws(GGUFError) -> Int {
        guard n >= 0, n <= remaining else { throw .truncated(at: offset, need: n) }
        let at = offset
        offset += n
        return at
    }

    mutating func load<T: FixedWidthInteger>(_: T.Type) throws(GGUFError) -> T {
        let at = try take(MemoryLayout<T>.size)
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: T.self))
    }

    mutating func u32() throws(GGUFError) -> UInt32 { try load(UInt32.self) }
    mutating func u64() throws(GGUFError) -> UInt64 { try load(UInt64.self) }

    /// A u64 count, rejected if even `minimumBytes` per item could not fit in the rest of the file.
    mutating func count(_ what: String, minimumBytes: Int) throws(GGUFError) -> Int {
        let n = try u64()
        guard n <= UInt64(remaining / max(1, minimumBytes)) else {
            throw .outOfBounds("\(what) \(n) cannot fit in the \(remaining) bytes left")
        }
        return Int(n)
    }

    mutating func string() throws(GGUFError) -> String {
        let n = try u64()
        guard n <= UInt64(remaining) else { throw .truncated(at: offset, need: Int(clamping: n)) }
        let at = try take(Int(n))
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[at..<at + Int(n)]), as: UTF8.self)
    }

    mutating func value(_ type: GGUFValueType, key: String, depth: Int) throws(GGUFError) -> GGUFValue {
        switch type {
        case .uint8: return .uint(UInt64(try load(UInt8.self)), type)
        case .int8: return .int(Int64(try load(Int8.self)), type)
        case .uint16: return .uint(UInt64(try load(UInt16.self)), type)
        case .int16: return .int(Int64(try load(Int16.self)), type)
        case .uint32: return .uint(UInt64(try load(UInt32.self)), type)
        case .int32: return .int(Int64(try load(Int32.self)), type)
        case .uint64: return .uint(try load(UInt64.self), type)
        case .int64: return .int(try load(Int64.self), type)
        case .float32: return .float(Double(Float(bitPattern: try load(UInt32.self))), type)
        case .float64: return .float(Double(bitPattern: try load(UInt64.self)), type)
        case .bool:
            let b = try load(UInt8.self)
            guard b <= 1 else { throw .invalid("\(key): bool value \(b)") }
            return .bool(b == 1)
        case .string: return .string(try string())
        case .array:
            guard depth < 8 else { throw .invalid("\(key): arrays nested deeper than 8") }
            let rawType = try u32()
            guard let element = GGUFValueType(rawValue: rawType) else { throw .unknownValueType(rawType, key: key) }
            let n = try count("\(key) array length", minimumBytes: element.minimumBytes)
            switch element {
            case .string:
                var out: [String] = []
                out.reserveCapacity(n)
                for _ in 0..<n { out.append(try string()) }
                return .strings(out)
            case .float32:
                var out = [Float](repeating: 0, count: n)
                for i in 0..<n { out[i] = Float(bitPattern: try u32()) }
                return .floats(out)
            case .int32:
                var out = [Int32](repeating: 0, count: n)
                for i in 0..<n { out[i] = try load(Int32.self) }
                return .ints(out)
            default:
                var out: [GGUFValue] = []
                out.reserveCapacity(n)
                for _ in 0..<n { out.append(try value(element, key: key, depth: depth + 1)) }
                return .array(element, out)
            }
        }
    }
}
