import Foundation
import Testing
@testable import NPCRuntime

/// Builds protobuf wire-format bytes by hand, for ONNX messages made in tests.
struct ProtobufWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }
    mutating func key(_ field: Int, _ wire: Int) { varint(UInt64(field << 3 | wire)) }
    mutating func int(_ field: Int, _ v: Int64) { key(field, 0); varint(UInt64(bitPattern: v)) }
    mutating func float(_ field: Int, _ v: Float) {
        key(field, 5)
        withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 }
    }
    mutating func data(_ field: Int, _ payload: [UInt8]) { key(field, 2); varint(UInt64(payload.count)); bytes += payload }
    mutating func string(_ field: Int, _ s: String) { data(field, Array(s.utf8)) }
    mutating func message(_ field: Int, _ build: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        build(&inner)
        data(field, inner.bytes)
    }
    mutating func packedInts(_ field: Int, _ values: [Int64]) {
        var inner = ProtobufWriter()
        for v in values { inner.varint(UInt64(bitPattern: v)) }
        data(field, inner.bytes)
    }
    static func floatBytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    }
}

@Suite("Voice: ONNX protobuf reader")
struct VoiceONNXReaderTests {
    static let weights: [Float] = [0.5, -1.25, 2, 3.5, -0.125, 8]

    /// A small ModelProto: opset 15, one Conv node with attributes, three initializers
    /// (raw float, float_data, raw int64), two inputs, one output. `pad` shifts the
    /// raw float payload so its alignment in the buffer can be varied.
    static func model(pad: Int = 0) -> [UInt8] {
        var w = ProtobufWriter()
        w.int(1, 8)  // ir_version
        w.string(2, String(repeating: "p", count: 1 + pad))  // producer_name
        w.message(8) { o in o.string(1, ""); o.int(2, 15) }
        w.message(7) { g in
            g.message(1) { n in
                n.string(1, "x"); n.string(1, "conv.weight"); n.string(1, "conv.bias")
                n.string(2, "y")
                n.string(3, "/block/conv/Conv")
                n.string(4, "Conv")
                n.message(5) { a in a.string(1, "pads"); a.int(20, 7); a.packedInts(8, [1, 2]) }
                n.message(5) { a in a.string(1, "group"); a.int(20, 2); a.int(3, 1) }
                n.message(5) { a in a.string(1, "alpha"); a.int(20, 1); a.float(2, 0.25) }
                // Unpacked repeated ints, as some writers emit them.
                n.message(5) { a in a.string(1, "dilations"); a.int(20, 7); a.int(8, 3); a.int(8, -1) }
            }
            g.string(2, "tiny")
            g.message(5) { t in
                t.packedInts(1, [2, 3]); t.int(2, 1); t.string(8, "conv.weight")
                t.data(9, ProtobufWriter.floatBytes(weights))
            }
            g.message(5) { t in
                t.int(1, 2); t.int(2, 1); t.string(8, "conv.bias")
                var packed = ProtobufWriter()
                packed.bytes = ProtobufWriter.floatBytes([1.5, -2])
                t.data(4, packed.bytes)
            }
            g.message(5) { t in
                t.packedInts(1, [3]); t.int(2, 7); t.string(8, "shape")
                t.data(9, [Int64(-1), 7, 1 << 40].flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } })
            }
            g.message(11) { v in
                v.string(1, "x")
                v.message(2) { ty in ty.message(1) { tt in tt.int(1, 1) } }
            }
            g.message(11) { v in v.string(1, "lengths") }
            g.message(12) { v in v.string(1, "y") }
        }
        return w.bytes
    }

    @Test("reads nodes, attributes, initializers and inputs built in code")
    func readsModel() throws {
        let g = try ONNXGraph(bytes: Self.model())
        #expect(g.opsetVersion == 15)
        #expect(g.nodes.count == 1)
        let n = try #require(g.node(named: "/block/conv/Conv"))
        #expect(n.opType == "Conv")
        #expect(n.inputs == ["x", "conv.weight", "conv.bias"])
        #expect(n.outputs == ["y"])
        #expect(n.ints("pads") == [1, 2])
        #expect(n.int("group") == 1)
        #expect(n.float("alpha") == 0.25)
        #expect(n.ints("dilations") == [3, -1])
        #expect(g.inputs.map(\.name) == ["x", "lengths"])
        #expect(g.inputs[0].elementType == 1)
        #expect(g.inputs[1].elementType == nil)
        #expect(g.outputs.map(\.name) == ["y"])

        let weight = try #require(g.initializers["conv.weight"])
        #expect(weight.dims == [2, 3])
        #expect(weight.elementCount == 6)
        let wb = try g.floats(weight)
        #expect((0..<wb.count).map { wb[$0] } == Self.weights)
        let bias = try g.floats(try #require(g.initializers["conv.bias"]))
        #expect((0..<bias.count).map { bias[$0] } == [1.5, -2])
        #expect(try g.integers(try #require(g.initializers["shape"])) == [-1, 7, 1 << 40])
        // Asking for the wrong element type is an error, not a reinterpretation.
        #expect(throws: ONNXError.self) { try g.floats(try #require(g.initializers["shape"])) }
    }

    @Test("raw float data is read correctly at every alignment (borrowed or copied)")
    func alignment() throws {
        for pad in 0..<4 {
            let g = try ONNXGraph(bytes: Self.model(pad: pad))
            let wb = try g.floats(try #require(g.initializers["conv.weight"]))
            #expect((0..<wb.count).map { wb[$0] } == Self.weights, "pad \(pad)")
        }
    }

    @Test("malformed wire data is a typed error: truncation, bad wire type, overlong varint, oversize length")
    func malformed() throws {
        let good = Self.model()
        for n in [0, 1, 2, 5, good.count / 2, good.count - 1] {
            #expect(throws: ONNXError.self, "prefix \(n)") { try ONNXGraph(bytes: Array(good.prefix(n))) }
        }
        var w = ProtobufWriter()
        w.key(7, 3)  // group start: never valid here
        #expect(throws: ONNXError.self) { try ONNXGraph(bytes: w.bytes) }
        #expect(throws: ONNXError.self) { try ONNXGraph(bytes: [0x08] + Array(repeating: 0xFF, count: 10) + [0x01]) }
        var big = ProtobufWriter()
        big.key(7, 2); big.varint(UInt64.max)
        #expect(throws: ONNXError.self) { try ONNXGraph(bytes: big.bytes) }
        var zeroField = ProtobufWriter()
        zeroField.key(0, 0); zeroField.varint(1)
        #expect(throws: ONNXError.self) { try ONNXGraph(bytes: zeroField.bytes) }
        // A tensor whose raw_data does not match its shape is caught when its values are read.
        var short = ProtobufWriter()
        short.message(7) { g in g.message(5) { t in t.packedInts(1, [4]); t.int(2, 1); t.string(8, "w"); t.data(9, [0, 0, 0, 0]) } }
        let g = try ONNXGraph(bytes: short.bytes)
        #expect(throws: ONNXError.self) { try g.floats(try #require(g.initializers["w"])) }
    }

    @Test("fuzz: 600 random mutations of a valid model never crash the reader")
    func fuzz() {
        let good = Self.model()
        var rng = SplitMix64(seed: 0x5EED)
        var parsed = 0, rejected = 0
        for round in 0..<600 {
            var bytes = good
            let edits = 1 + Int(rng.next() % 4)
            for _ in 0..<edits {
                let at = Int(rng.next() % UInt64(max(1, bytes.count)))
                switch (round + Int(rng.next() % 4)) % 4 {
                case 0: bytes[at] ^= UInt8(1 << (rng.next() % 8))
                case 1: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
                case 2: bytes.removeSubrange(at..<min(bytes.count, at + 1 + Int(rng.next() % 8)))
                default: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
                }
                if bytes.isEmpty { bytes = [0] }
            }
            do {
                let g = try ONNXGraph(bytes: bytes)
                for t in g.initializers.values {
                    _ = try? g.floats(t)
                    _ = try? g.integers(t)
                }
                parsed += 1
            } catch {
                #expect(error.parleyKind == .badModel || error.parleyKind == .unsupportedModel)
                rejected += 1
            }
        }
        #expect(parsed + rejected == 600)
        #expect(parsed > 0 && rejected > 0, "parsed \(parsed), rejected \(rejected)")
    }
}
