import Testing
@testable import ComputeRouter

@Suite struct SSEDecoderTests {
    let stream = "data: {\"a\":1}\n\n: keep-alive\n\nevent: x\r\ndata: line1\r\ndata: line2\r\n\r\ndata: [DONE]\n\n"

    @Test func decodesWholeStream() throws {
        var d = SSEDecoder()
        let events = try d.feed(Array(stream.utf8))
        #expect(events == [.init(event: nil, data: "{\"a\":1}"),
                           .init(event: "x", data: "line1\nline2"),
                           .init(event: nil, data: "[DONE]")])
    }

    @Test func sameEventsWhateverTheChunking() throws {
        let bytes = Array(stream.utf8)
        var whole = SSEDecoder()
        let expected = try whole.feed(bytes)
        for size in 1...7 {
            var d = SSEDecoder()
            var got: [SSEDecoder.Event] = []
            var i = 0
            while i < bytes.count {
                got += try d.feed(bytes[i..<min(i + size, bytes.count)])
                i += size
            }
            #expect(got == expected, "chunk size \(size)")
        }
    }

    @Test func boundsLineLength() {
        var d = SSEDecoder(maxLineBytes: 16)
        #expect(throws: SSEDecoder.DecodeError.lineTooLong(16)) {
            _ = try d.feed(Array(repeating: UInt8(ascii: "a"), count: 17))
        }
    }
}
