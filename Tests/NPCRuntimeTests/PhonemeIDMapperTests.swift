import Testing
@testable import NPCRuntime

@Suite struct PhonemeIDMapperTests {
    static let map: [String: [Int]] = ["_": [0], "^": [1], "$": [2], " ": [3], ".": [10], "a": [14], "b": [15],
                                      "ɪ": [74], "ʲ": [119], "x": [7, 8], "ab": [99]]

    @Test func padsEveryPhonemeLikePiper() throws {
        let mapper = try PhonemeIDMapper(phonemeIDMap: Self.map)
        #expect(mapper.ids(for: "ab a.").ids == [1, 0, 14, 0, 15, 0, 3, 0, 14, 0, 10, 0, 2])
        #expect(mapper.ids(for: "").ids == [1, 0, 2])
        #expect(mapper.ids(for: "ɪʲ").ids == [1, 0, 74, 0, 119, 0, 2])
    }

    @Test func multiIdPhonemesAreFollowedByOnePad() throws {
        let mapper = try PhonemeIDMapper(phonemeIDMap: Self.map)
        #expect(mapper.ids(for: "xa").ids == [1, 0, 7, 8, 0, 14, 0, 2])
    }

    @Test func spansCoverEachPhonemesIdsAndPad() throws {
        let mapper = try PhonemeIDMapper(phonemeIDMap: Self.map)
        let r = mapper.ids(for: "xqa")
        #expect(r.spans == [.init(phoneme: "x", ids: 2..<5), .init(phoneme: "a", ids: 5..<7)])
        #expect(r.ids[r.spans[1].ids] == [14, 0])
    }

    @Test func unknownPhonemesAreSkippedAndCounted() throws {
        let mapper = try PhonemeIDMapper(phonemeIDMap: Self.map)
        let r = mapper.ids(for: "aqbq")
        #expect(r.ids == [1, 0, 14, 0, 15, 0, 2])
        #expect(r.missing == ["q", "q"])
        #expect(!mapper.knows("q"))
        #expect(mapper.knows("ʲ"))
    }

    @Test func multiScalarKeysNeverMatchSingleScalars() throws {
        let mapper = try PhonemeIDMapper(phonemeIDMap: Self.map)
        #expect(mapper.ids(for: "ab").ids == [1, 0, 14, 0, 15, 0, 2])
    }

    @Test func requiresTheSpecialSymbols() {
        #expect(throws: RuntimeError.self) { try PhonemeIDMapper(phonemeIDMap: ["_": [0], "^": [1]]) }
    }
}
