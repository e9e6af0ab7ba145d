import Foundation
import Testing
@testable import NPCRuntime

@Suite struct GGUFFileTests {
    /// A small file with every metadata type, a nested array, a tokenizer and two tensors.
    static func sample() -> GGUFBuilder {
        var b = GGUFBuilder()
        b.set("general.architecture", .string("llama"))
        b.set("test.u8", .uint8(200))
        b.set("test.i8", .int8(-5))
        b.set("test.u16", .uint16(60000))
        b.set("test.i16", .int16(-300))
        b.set("test.u32", .uint32(4_000_000_000))
        b.set("test.i32", .int32(-70000))
        b.set("test.u64", .uint64(1 << 40))
        b.set("test.i64", .int64(-(1 << 40)))
        b.set("test.f32", .float32(0.5))
        b.set("test.f64", .float64(-2.25))
        b.set("test.bool", .bool(true))
        b.set("test.nested", .array(.array, [.int32s([1, 2]), .int32s([3])]))
        b.set("tokenizer.ggml.model", .string("gpt2"))
        b.set("tokenizer.ggml.pre", .string("qwen2"))
        b.set("tokenizer.ggml.tokens", .strings(["a", "b", "ab", "Ġ", "<|end|>"]))
        b.set("tokenizer.ggml.token_type", .int32s([1, 1, 1, 1, 3]))
        b.set("tokenizer.ggml.merges", .strings(["a b"]))
        b.addTensor("weight", dims: [4, 2], f32: [1, 2, 3, 4, 5, 6, 7, 8])
        b.addTensor("quant", dims: [32], type: .q8_0, bytes: (0..<34).map { UInt8($0) })
        return b
    }

    @Test func readsWhatTheBuilderWrites() throws {
        let gguf = try Self.sample().load()
        #expect(gguf.version == 3)
        #expect(gguf["general.architecture"]?.stringValue == "llama")
        #expect(gguf["test.u8"]?.intValue == 200)
        #expect(gguf["test.i8"]?.intValue == -5)
        #expect(gguf["test.u16"]?.intValue == 60000)
        #expect(gguf["test.i16"]?.intValue == -300)
        #expect(gguf["test.u32"]?.intValue == 4_000_000_000)
        #expect(gguf["test.i32"]?.intValue == -70000)
        #expect(gguf["test.u64"]?.intValue == 1 << 40)
        #expect(gguf["test.i64"]?.intValue == -(1 << 40))
        #expect(gguf["test.f32"]?.doubleValue == 0.5)
        #expect(gguf["test.f64"]?.doubleValue == -2.25)
        #expect(gguf["test.bool"]?.boolValue == true)
        #expect(gguf["test.nested"] == .array(.array, [.ints([1, 2]), .ints([3])]))
        #expect(gguf["tokenizer.ggml.tokens"] == .strings(["a", "b", "ab", "Ġ", "<|end|>"]))

        let weight = try #require(gguf.tensor("weight"))
        #expect(weight.dims == [4, 2] && weight.type == .f32 && weight.byteCount == 32)
        #expect(weight.fileOffset % 32 == 0 && weight.fileOffset == gguf.dataOffset)
        let values = (0..<8).map { gguf.data(of: weight).load(fromByteOffset: $0 * 4, as: Float.self) }
        #expect(values == [1, 2, 3, 4, 5, 6, 7, 8])
        let quant = try #require(gguf.tensor("quant"))
        #expect(quant.type == .q8_0 && quant.byteCount == 34 && quant.fileOffset == gguf.dataOffset + 32)
        #expect(gguf.data(of: quant).load(fromByteOffset: 33, as: UInt8.self) == 33)
    }

    @Test func honoursCustomAlignment() throws {
        var b = Self.sample()
        b.alignment = 64
        let gguf = try b.load()
        #expect(gguf.alignment == 64)
        #expect(gguf.dataOffset % 64 == 0)
        #expect(gguf.tensor("quant")?.fileOffset == gguf.dataOffset + 64)
    }

    @Test func rejectsRepeatedKeys() throws {
        var b = GGUFBuilder()
        b.set("key.one", .uint32(1))
        b.set("key.two", .uint32(2))
        var bytes = b.build()
        // Rename the second key to the first (same length).
        let two = Array("key.two".utf8)
        let at = try #require((0...(bytes.count - two.count)).first { Array(bytes[$0..<$0 + two.count]) == two })
        bytes.replaceSubrange(at..<at + two.count, with: Array("key.one".utf8))
        #expect(throws: GGUFError.invalid("duplicate metadata key key.one")) { try GGUFBuilder.parse(bytes) }
    }

    // MARK: hostile input

    /// Parses `bytes`; a failure must be a GGUFError. When the file parses, its
    /// tokenizer metadata (if any) must load or fail with a TokenizerError, and a
    /// loaded tokenizer must survive encoding and decoding.
    @discardableResult
    static func exercise(_ bytes: [UInt8], path: String, tokenizers: inout Int) -> Bool {
        guard GGUFBuilder.write(bytes, to: path) else { return false }
        let gguf: GGUFFile
        do {
            gguf = try GGUFFile(file: MappedFile(path: path))
        } catch is GGUFError {
            return false
        } catch {
            Issue.record("unexpected error type: \(error)")
            return false
        }
        do {
            let tokenizer = try Tokenizer(gguf: gguf)
            let ids = tokenizer.encode("ab <|end|> ba é🐉 12", addSpecial: true, parseSpecial: true)
            _ = tokenizer.decode(ids + [-1, Int32.max])
            tokenizers += 1
        } catch {
            // Typed throws: the only failure is a TokenizerError, with a message.
            #expect(!error.message.isEmpty)
        }
        return true
    }

    static func exercise(_ bytes: [UInt8], path: String) -> Bool {
        var ignored = 0
        return exercise(bytes, path: path, tokenizers: &ignored)
    }

    @Test func everyTruncationThrows() throws {
        let bytes = Self.sample().build()
        let path = GGUFBuilder.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(Self.exercise(bytes, path: path))
        for length in 0..<bytes.count {
            #expect(!Self.exercise(Array(bytes[0..<length]), path: path), "prefix of \(length) bytes parsed")
        }
    }

    @Test func bitFlipsNeverCrash() throws {
        let bytes = Self.sample().build()
        let path = GGUFBuilder.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var rng = SplitMix64(seed: 7)
        var parsed = 0, tokenizers = 0
        for _ in 0..<3000 {
            var mutated = bytes
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let i = Int(rng.next() % UInt64(mutated.count))
                mutated[i] ^= UInt8(1) << UInt8(rng.next() % 8)
            }
            if Self.exercise(mutated, path: path, tokenizers: &tokenizers) { parsed += 1 }
        }
        // Flips in tensor data and in most string bytes leave a valid file, often with a usable tokenizer.
        print("bit flips: \(parsed) of 3000 files parsed, \(tokenizers) tokenizers loaded")
        #expect(parsed > 300 && tokenizers > 100)
    }

    @Test func randomBytesNeverCrash() throws {
        let path = GGUFBuilder.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var rng = SplitMix64(seed: 11)
        let header: [UInt8] = Array("GGUF".utf8) + [3, 0, 0, 0]
        for round in 0..<1000 {
            let n = Int(rng.next() % 160)
            let tail = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            _ = Self.exercise(round % 2 == 0 ? tail : header + tail, path: path)
        }
    }

    /// Header fields and values announcing far more data than the file holds.
    @Test func oversizedCountsThrow() throws {
        func header(tensors: UInt64, kvs: UInt64) -> [UInt8] {
            var out = Array("GGUF".utf8) + [3, 0, 0, 0]
            withUnsafeBytes(of: tensors.littleEndian) { out.append(contentsOf: $0) }
            withUnsafeBytes(of: kvs.littleEndian) { out.append(contentsOf: $0) }
            return out
        }
        func u64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        func u32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        let key = u64(3) + Array("key".utf8)
        let cases: [[UInt8]] = [
            header(tensors: 1_000_000_000_000, kvs: 0),
            header(tensors: 0, kvs: 1_000_000_000_000),
            header(tensors: .max, kvs: .max),
            // an array of 10^12 u8 and of 10^12 strings
            header(tensors: 0, kvs: 1) + key + u32(9) + u32(0) + u64(1_000_000_000_000) + [1, 2, 3],
            header(tensors: 0, kvs: 1) + key + u32(9) + u32(8) + u64(1_000_000_000_000) + u64(1) + [65],
            // nested arrays each claiming 10^12 elements
            header(tensors: 0, kvs: 1) + key + u32(9) + u32(9) + u64(1) + u32(9) + u64(1_000_000_000_000),
            // a string of 10^12 bytes, as key and as value
            header(tensors: 0, kvs: 1) + u64(1_000_000_000_000) + Array("k".utf8),
            header(tensors: 0, kvs: 1) + key + u32(8) + u64(1_000_000_000_000) + [65],
            // unknown value type
            header(tensors: 0, kvs: 1) + key + u32(99) + [0],
            // a tensor of 2^40 × 2^40 elements, one with 5 dimensions, one past the end
            header(tensors: 1, kvs: 0) + u64(1) + [116] + u32(2) + u64(1 << 40) + u64(1 << 40) + u32(0) + u64(0),
            header(tensors: 1, kvs: 0) + u64(1) + [116] + u32(5) + u64(1) + u64(1) + u64(1) + u64(1) + u64(1) + u32(0) + u64(0),
            header(tensors: 1, kvs: 0) + u64(1) + [116] + u32(1) + u64(1 << 30) + u32(0) + u64(0),
        ]
        for bytes in cases {
            #expect(throws: GGUFError.self) { try GGUFBuilder.parse(bytes) }
        }
    }
}

