import Testing
@testable import NPCRuntime

@Suite struct JSONTests {
    @Test func parsesNestedValues() throws {
        let v = try JSONParser.parse(#"{"a":[1,2.5,-3e2],"b":{"c":"x\u00e9\n"},"d":true,"e":null}"#)
        #expect(v["a"]?.arrayValue?.count == 3)
        #expect(v["a"]?.arrayValue?[2].doubleValue == -300)
        #expect(v["b"]?["c"]?.stringValue == "xé\n")
        #expect(v["d"]?.boolValue == true)
        #expect(v["e"] == .null)
    }

    @Test func roundTrips() throws {
        let text = #"{"k":"q\"uote","n":[1,0.5,true,null]}"#
        #expect(try JSONParser.parse(text).serialized == text)
    }

    @Test func rejectsMalformedInput() {
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "\"abc", "tru", "01x", "[1] 2", "\"\\ud800\"", "8.8988888e458", "[-1e999]", String(repeating: "[", count: 200)] {
            #expect(throws: JSONError.self) { try JSONParser.parse(bad) }
        }
    }

    @Test func survivesRandomBytes() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<2000 {
            let n = Int(rng.next() % 64)
            let bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            _ = try? JSONParser.parse(bytes)
        }
    }
}
