#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an ONNX file could not be read: malformed bytes are `.badModel`, a valid
/// file this reader or the voice engine does not handle is `.unsupportedModel`.
public enum ONNXError: ParleyErrorConvertible, Equatable, CustomStringConvertible {
    case truncated(String)
    case malformed(String)
    case unsupported(String)

    public var kind: ErrorKind {
        switch self {
        case .truncated, .malformed: return .badModel
        case .unsupported: return .unsupportedModel
        }
    }

    public var message: String {
        switch self {
        case let .truncated(what): return "ONNX truncated: \(what)"
        case let .malformed(what): return "ONNX malformed: \(what)"
        case let .unsupported(what): return "ONNX unsupported: \(what)"
        }
    }
    public var description: String { message }
}

/// TensorProto.DataType values this project reads.
public enum ONNXDataType: Int64, Sendable {
    case float = 1
    case int32 = 6
    case int64 = 7

    var byteSize: Int {
        switch self {
        case .float, .int32: return 4
        case .int64: return 8
        }
    }
}

/// An initializer (TensorProto): shape, element type and where its values are.
public struct ONNXTensor: Sendable {
    public let name: String
    public let dims: [Int]
    /// The raw `data_type` code (see `ONNXDataType`).
    public let dataType: Int64
    public let elementCount: Int
    /// `raw_data` as an absolute byte range of the model buffer, if present.
    let rawData: Range<Int>?
    /// `float_data` / `int64_data` / `int32_data` when the values were not stored raw.
    let floatData: [Float]
    let integerData: [Int64]
}

/// A node attribute; only the shapes the VITS graph uses are decoded.
public enum ONNXAttribute: Sendable {
    case int(Int64)
    case float(Float)
    case ints([Int64])
    case floats([Float])
    case string(String)
    case tensor(ONNXTensor)
    case other
}

public struct ONNXNode: Sendable {
    public let name: String
    public let opType: String
    public let inputs: [String]
    public let outputs: [String]
    public let attributes: [(name: String, value: ONNXAttribute)]

    public func attribute(_ name: String) -> ONNXAttribute? {
        attributes.first { $0.name == name }?.value
    }

    /// An integer-list attribute (`pads`, `strides`, …), nil when absent or of another kind.
    public func ints(_ name: String) -> [Int64]? {
        if case let .ints(v) = attribute(name) { return v }
        return nil
    }

    public func int(_ name: String) -> Int64? {
        if case let .int(v) = attribute(name) { return v }
        return nil
    }

    public func float(_ name: String) -> Float? {
        if case let .float(v) = attribute(name) { return v }
        return nil
    }
}

/// A graph input or output: its name and, for tensors, the element type.
public struct ONNXValueInfo: Sendable {
    public let name: String
    public let elementType: Int64?
}

/// Keeps a heap copy of model bytes alive (for models read from memory rather than mmap).
final class OwnedBytes: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    let count: Int
    init(copying bytes: [UInt8]) {
        count = bytes.count
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(1, bytes.count), alignment: 64)
        bytes.withUnsafeBytes { src in
            if let base = src.baseAddress { pointer.copyMemory(from: base, byteCount: src.count) }
        }
    }
    deinit { pointer.deallocate() }
}

/// An ONNX model's main graph: nodes in file (topological) order, initializers,
/// inputs and outputs. Tensor payloads stay in the mapped file.
public final class ONNXGraph: @unchecked Sendable {
    public let nodes: [ONNXNode]
    public let initializers: [String: ONNXTensor]
    public let inputs: [ONNXValueInfo]
    public let outputs: [ONNXValueInfo]
    public let opsetVersion: Int64?
    /// The bytes every `rawData` range points into, kept alive by `owner`.
    let bytes: UnsafeRawBufferPointer
    private let owner: AnyObject
    private let nodeByName: [String: Int]

    public convenience init(path: String) throws(RuntimeError) {
        let file = try MappedFile(path: path)
        do {
            try self.init(bytes: file.bytes, owner: file)
        } catch {
            throw RuntimeError(error.kind, "\(path): \(error.message)")
        }
    }

    /// Parses a model held in memory (a copy is kept).
    public convenience init(bytes: [UInt8]) throws(ONNXError) {
        let owned = OwnedBytes(copying: bytes)
        try self.init(bytes: UnsafeRawBufferPointer(start: owned.pointer, count: owned.count), owner: owned)
    }

    init(bytes: UnsafeRawBufferPointer, owner: AnyObject) throws(ONNXError) {
        self.bytes = bytes
        self.owner = owner
        guard bytes.count > 0 else { throw .truncated("empty file") }

        // ModelProto: 7 = graph, 8 = opset_import.
        var model = try ProtobufReader(bytes, range: 0..<bytes.count)
        var graphRange: Range<Int>?
        var opset: Int64?
        while let f = try model.next() {
            switch f.number {
            case 7:
                guard graphRange == nil else { throw .malformed("more than one graph") }
                graphRange = try f.value.byteRange()
            case 8:
                var r = try ProtobufReader(bytes, range: try f.value.byteRange())
                var domain = ""
                var version: Int64?
                while let g = try r.next() {
                    if g.number == 1 { domain = r.string(try g.value.byteRange()) }
                    if g.number == 2 { version = try g.value.integer() }
                }
                if domain.isEmpty || domain == "ai.onnx" { opset = version }
            default:
                break
            }
        }
        guard let graphRange else { throw .malformed("no graph in the model") }
        opsetVersion = opset

        // GraphProto: 1 = node, 5 = initializer, 11 = input, 12 = output.
        var graph = try ProtobufReader(bytes, range: graphRange)
        var nodes: [ONNXNode] = []
        var initializers: [String: ONNXTensor] = [:]
        var inputs: [ONNXValueInfo] = []
        var outputs: [ONNXValueInfo] = []
        while let f = try graph.next() {
            switch f.number {
            case 1: nodes.append(try Self.node(bytes, try f.value.byteRange()))
            case 5:
                let t = try Self.tensor(bytes, try f.value.byteRange())
                guard initializers[t.name] == nil else { throw .malformed("duplicate initializer \(t.name)") }
                initializers[t.name] = t
            case 11: inputs.append(try Self.valueInfo(bytes, try f.value.byteRange()))
            case 12: outputs.append(try Self.valueInfo(bytes, try f.value.byteRange()))
            default: break
            }
        }
        var nodeByName: [String: Int] = [:]
        for (i, n) in nodes.enumerated() where !n.name.isEmpty {
            guard nodeByName[n.name] == nil else { throw .malformed("duplicate node name \(n.name)") }
            nodeByName[n.name] = i
        }
        self.nodes = nodes
        self.initializers = initializers
        self.inputs = inputs
        self.outputs = outputs
        self.nodeByName = nodeByName
    }

    public func node(named name: String) -> ONNXNode? {
        nodeByName[name].map { nodes[$0] }
    }

    // MARK: Tensor values

    /// A float tensor's values: borrowed from the model bytes when `raw_data` is
    /// 4-byte aligned, otherwise copied into an aligned buffer.
    func floats(_ t: ONNXTensor) throws(ONNXError) -> WeightBuffer {
        guard t.dataType == ONNXDataType.float.rawValue else {
            throw .unsupported("tensor \(t.name): data type \(t.dataType), expected float")
        }
        if let raw = t.rawData {
            let (bytesNeeded, o) = t.elementCount.multipliedReportingOverflow(by: 4)
            guard !o, raw.count == bytesNeeded else {
                throw .malformed("tensor \(t.name): raw_data has \(raw.count) bytes for \(t.elementCount) floats")
            }
            // Safe: raw lies inside `bytes` (checked by the protobuf reader) and count > 0 here.
            let start = bytes.baseAddress!.advanced(by: raw.lowerBound)
            if UInt(bitPattern: start) % UInt(MemoryLayout<Float>.alignment) == 0 {
                return WeightBuffer(borrowing: start.assumingMemoryBound(to: Float.self), count: t.elementCount, owner: owner)
            }
            return WeightBuffer(copyingUnaligned: start, count: t.elementCount)
        }
        guard t.floatData.count == t.elementCount else {
            throw .malformed("tensor \(t.name): \(t.floatData.count) float values for \(t.elementCount) elements")
        }
        return WeightBuffer(copying: t.floatData)
    }

    /// An integer tensor's values (int64 or int32), always small constants.
    func integers(_ t: ONNXTensor) throws(ONNXError) -> [Int64] {
        guard let type = ONNXDataType(rawValue: t.dataType), type != .float else {
            throw .unsupported("tensor \(t.name): data type \(t.dataType), expected an integer type")
        }
        guard t.elementCount <= 1 << 16 else { throw .unsupported("integer tensor \(t.name) has \(t.elementCount) elements") }
        guard let raw = t.rawData else {
            guard t.integerData.count == t.elementCount else {
                throw .malformed("tensor \(t.name): \(t.integerData.count) integer values for \(t.elementCount) elements")
            }
            return t.integerData
        }
        guard raw.count == t.elementCount * type.byteSize else {
            throw .malformed("tensor \(t.name): raw_data has \(raw.count) bytes for \(t.elementCount) values")
        }
        return (0..<t.elementCount).map { i in
            let at = raw.lowerBound + i * type.byteSize
            return type == .int64
                ? Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: Int64.self))
                : Int64(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: Int32.self)))
        }
    }

    // MARK: Message decoding

    static let maxDims = 8

    /// TensorProto: 1 dims, 2 data_type, 4 float_data, 5 int32_data, 7 int64_data, 8 name, 9 raw_data, 14 data_location.
    static func tensor(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) throws(ONNXError) -> ONNXTensor {
        var r = try ProtobufReader(bytes, range: range)
        var dims: [Int64] = []
        var dataType: Int64 = 0
        var name = ""
        var raw: Range<Int>?
        var floats: [Float] = []
        var integers: [Int64] = []
        var external = false
        while let f = try r.next() {
            switch f.number {
            case 1:
                try r.appendVarints(f.value, to: &dims)
                guard dims.count <= maxDims else { throw .unsupported("tensor with more than \(maxDims) dimensions") }
            case 2: dataType = try f.value.integer()
            case 4: try r.appendFloats(f.value, to: &floats)
            case 5, 7: try r.appendVarints(f.value, to: &integers)
            case 8: name = r.string(try f.value.byteRange())
            case 9: raw = try f.value.byteRange()
            case 14: external = try f.value.integer() == 1
            default: break
            }
        }
        guard !external else { throw .unsupported("tensor \(name): external data files are not supported") }
        var count = 1
        var shape: [Int] = []
        for d in dims {
            guard d >= 0, d <= Int64(Int32.max) else { throw .malformed("tensor \(name): dimension \(d)") }
            let (c, o) = count.multipliedReportingOverflow(by: Int(d))
            guard !o, c <= 1 << 40 else { throw .malformed("tensor \(name): element count overflows") }
            count = c
            shape.append(Int(d))
        }
        return ONNXTensor(name: name, dims: shape, dataType: dataType, elementCount: count,
                          rawData: raw, floatData: floats, integerData: integers)
    }

    /// NodeProto: 1 input, 2 output, 3 name, 4 op_type, 5 attribute.
    static func node(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) throws(ONNXError) -> ONNXNode {
        var r = try ProtobufReader(bytes, range: range)
        var inputs: [String] = []
        var outputs: [String] = []
        var name = ""
        var opType = ""
        var attributes: [(name: String, value: ONNXAttribute)] = []
        while let f = try r.next() {
            switch f.number {
            case 1: inputs.append(r.string(try f.value.byteRange()))
            case 2: outputs.append(r.string(try f.value.byteRange()))
            case 3: name = r.string(try f.value.byteRange())
            case 4: opType = r.string(try f.value.byteRange())
            case 5: attributes.append(try attribute(bytes, try f.value.byteRange()))
            default: break
            }
        }
        guard !opType.isEmpty else { throw .malformed("node \(name) has no op_type") }
        return ONNXNode(name: name, opType: opType, inputs: inputs, outputs: outputs, attributes: attributes)
    }

    /// AttributeProto: 1 name, 2 f, 3 i, 4 s, 5 t, 7 floats, 8 ints, 20 type.
    static func attribute(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) throws(ONNXError) -> (name: String, value: ONNXAttribute) {
        var r = try ProtobufReader(bytes, range: range)
        var name = ""
        var type: Int64 = 0
        var f: Float?
        var i: Int64?
        var s: String?
        var t: ONNXTensor?
        var floats: [Float] = []
        var ints: [Int64] = []
        while let field = try r.next() {
            switch field.number {
            case 1: name = r.string(try field.value.byteRange())
            case 2: f = try field.value.float()
            case 3: i = try field.value.integer()
            case 4: s = r.string(try field.value.byteRange())
            case 5: t = try tensor(bytes, try field.value.byteRange())
            case 7: try r.appendFloats(field.value, to: &floats)
            case 8: try r.appendVarints(field.value, to: &ints)
            case 20: type = try field.value.integer()
            default: break
            }
        }
        // AttributeType: 1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 6 FLOATS, 7 INTS. Writers
        // older than IR version 3 left it out; then the field that is present decides.
        if type == 0 {
            type = f != nil ? 1 : i != nil ? 2 : s != nil ? 3 : t != nil ? 4 : !floats.isEmpty ? 6 : !ints.isEmpty ? 7 : 0
        }
        let value: ONNXAttribute
        switch type {
        case 1: value = f.map(ONNXAttribute.float) ?? .other
        case 2: value = i.map(ONNXAttribute.int) ?? .other
        case 3: value = s.map(ONNXAttribute.string) ?? .other
        case 4: value = t.map(ONNXAttribute.tensor) ?? .other
        case 6: value = .floats(floats)
        case 7: value = .ints(ints)
        default: value = .other
        }
        return (name, value)
    }

    /// ValueInfoProto: 1 name, 2 type → TypeProto 1 tensor_type → 1 elem_type.
    static func valueInfo(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) throws(ONNXError) -> ONNXValueInfo {
        var r = try ProtobufReader(bytes, range: range)
        var name = ""
        var elementType: Int64?
        while let f = try r.next() {
            switch f.number {
            case 1: name = r.string(try f.value.byteRange())
            case 2:
                var type = try ProtobufReader(bytes, range: try f.value.byteRange())
                while let tf = try type.next() {
                    guard tf.number == 1 else { continue }
                    var tensor = try ProtobufReader(bytes, range: try tf.value.byteRange())
                    while let e = try tensor.next() {
                        if e.number == 1 { elementType = try e.value.integer() }
                    }
                }
            default: break
            }
        }
        return ONNXValueInfo(name: name, elementType: elementType)
    }
}
