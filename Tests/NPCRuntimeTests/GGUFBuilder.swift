import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import NPCRuntime

/// Writes GGUF v3 files for tests: metadata of every value type, and tensors
/// given as f32 values or as raw bytes of any ggml type. Tensor data is laid
/// out at `alignment` (written as `general.alignment` when not the default 32).
struct GGUFBuilder {
    indirect enum Value {
        case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16)
        case uint32(UInt32), int32(Int32), uint64(UInt64), int64(Int64)
        case float32(Float), float64(Double), bool(Bool), string(String)
        /// Element type and elements (which must all be of that type).
        case array(GGUFValueType, [Value])

        static func strings(_ values: [String]) -> Value { .array(.string, values.map { .string($0) }) }
        static func int32s(_ values: [Int32]) -> Value { .array(.int32, values.map { .int32($0) }) }
        static func float32s(_ values: [Float]) -> Value { .array(.float32, values.map { .float32($0) }) }

        var type: GGUFValueType {
            switch self {
            case .uint8: return .uint8
            case .int8: return .int8
            case .uint16: return .uint16
            case .int16: return .int16
            case .uint32: return .uint32
            case .int32: return .int32
            case .uint64: return .uint64
            case .int64: return .int64
            case .float32: return .float32
            case .float64: return .float64
            case .bool: return .bool
            case .string: return .string
            case .array: return .array
            }
        }
    }

    struct Tensor {
        let name: String
        /// ggml order: innermost dimension first.
        let dims: [Int]
        let type: UInt32
        let data: [UInt8]
    }

    var version: UInt32 = 3
    var alignment = 32
    private(set) var metadata: [(key: String, value: Value)] = []
    private(set) var tensors: [Tensor] = []

    /// Sets a key (replacing an earlier value of the same key).
    mutating func set(_ key: String, _ value: Value) {
        if let i = metadata.firstIndex(where: { $0.key == key }) {
            metadata[i].value = value
        } else {
            metadata.append((key, value))
        }
    }

    mutating func remove(_ key: String) { metadata.removeAll { $0.key == key } }

    mutating func addTensor(_ name: String, dims: [Int], f32 values: [Float]) {
        precondition(dims.reduce(1, *) == values.count, "\(name): \(values.count) values for dims \(dims)")
        var data: [UInt8] = []
        data.reserveCapacity(values.count * 4)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        tensors.append(Tensor(name: name, dims: dims, type: GGMLType.f32.rawValue, data: data))
    }

    mutating func removeTensor(_ name: String) { tensors.removeAll { $0.name == name } }

    /// Raw typed bytes (quantized blocks, f16 …), stored as given.
    mutating func addTensor(_ name: String, dims: [Int], type: GGMLType, bytes: [UInt8]) {
        tensors.append(Tensor(name: name, dims: dims, type: type.rawValue, data: bytes))
    }

    /// The whole file.
    func build() -> [UInt8] {
        var out: [UInt8] = []
        out.append(contentsOf: Array("GGUF".utf8))
        append(version, to: &out)
        append(UInt64(tensors.count), to: &out)
        var entries = metadata
        if alignment != 32 && !entries.contains(where: { $0.key == "general.alignment" }) {
            entries.append(("general.alignment", .uint32(UInt32(alignment))))
        }
        append(UInt64(entries.count), to: &out)
        for (key, value) in entries {
            appendString(key, to: &out)
            append(value.type.rawValue, to: &out)
            appendValue(value, to: &out)
        }
        var offset = 0
        var offsets: [Int] = []
        for t in tensors {
            offsets.append(offset)
            offset = (offset + t.data.count + alignment - 1) / alignment * alignment
        }
        for (t, tensorOffset) in zip(tensors, offsets) {
            appendString(t.name, to: &out)
            append(UInt32(t.dims.count), to: &out)
            for d in t.dims { append(UInt64(d), to: &out) }
            append(t.type, to: &out)
            append(UInt64(tensorOffset), to: &out)
        }
        if !tensors.isEmpty {
            pad(&out)
            let dataStart = out.count
            for (t, tensorOffset) in zip(tensors, offsets) {
                out.append(contentsOf: [UInt8](repeating: 0, count: dataStart + tensorOffset - out.count))
                out.append(contentsOf: t.data)
            }
        }
        return out
    }

    /// Writes the file under a fresh temporary name and opens it (the name is
    /// removed again; the mapping keeps the contents).
    func load() throws -> GGUFFile {
        try Self.parse(build())
    }

    /// Opens arbitrary bytes as a GGUF file, throwing the parser's own error.
    static func parse(_ bytes: [UInt8]) throws -> GGUFFile {
        let path = temporaryPath()
        guard write(bytes, to: path) else { throw CocoaError(.fileWriteUnknown) }
        defer { unlink(path) }
        let file = try MappedFile(path: path)
        return try GGUFFile(file: file)
    }

    /// A fresh file name, in memory-backed /dev/shm when there is one (fuzz tests write thousands).
    static func temporaryPath() -> String {
        let directory = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm/" : NSTemporaryDirectory()
        return directory + "parley-test-\(UUID().uuidString).gguf"
    }

    /// Replaces the file's contents in place (no atomic rename: cheap enough to call per mutation).
    static func write(_ bytes: [UInt8], to path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) == $0.count }
    }

    // MARK: encoding

    private func append<T: FixedWidthInteger>(_ v: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    private func appendString(_ s: String, to out: inout [UInt8]) {
        append(UInt64(s.utf8.count), to: &out)
        out.append(contentsOf: Array(s.utf8))
    }

    private func appendValue(_ value: Value, to out: inout [UInt8]) {
        switch value {
        case let .uint8(v): append(v, to: &out)
        case let .int8(v): append(v, to: &out)
        case let .uint16(v): append(v, to: &out)
        case let .int16(v): append(v, to: &out)
        case let .uint32(v): append(v, to: &out)
        case let .int32(v): append(v, to: &out)
        case let .uint64(v): append(v, to: &out)
        case let .int64(v): append(v, to: &out)
        case let .float32(v): append(v.bitPattern, to: &out)
        case let .float64(v): append(v.bitPattern, to: &out)
        case let .bool(v): out.append(v ? 1 : 0)
        case let .string(s): appendString(s, to: &out)
        case let .array(type, elements):
            // A nested array element is a whole array value (its own element type and count).
            append(type.rawValue, to: &out)
            append(UInt64(elements.count), to: &out)
            for e in elements { appendValue(e, to: &out) }
        }
    }

    private func pad(_ out: inout [UInt8]) {
        let aligned = (out.count + alignment - 1) / alignment * alignment
        out.append(contentsOf: [UInt8](repeating: 0, count: aligned - out.count))
    }
}
