import Testing
import NPCRuntime
@testable import ComputeRouter

@Suite struct ChatStreamDecoderTests {
    static let stream = FakeRemoteServer.chunk("Five") + FakeRemoteServer.chunk(" silver.")
        + #"data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","function":{"name":"rent_room","arguments":"{\"nights\":"}}]}}]}"# + "\n\n"
        + #"data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":" 2}"}}]},"finish_reason":"tool_calls"}]}"# + "\n\n"
        + FakeRemoteServer.usage + FakeRemoteServer.done

    @Test func decodesTextCallsAndUsageWhateverTheChunking() throws {
        let bytes = Array(Self.stream.utf8)
        for size in [1, 2, 3, 7, 64, bytes.count] {
            var d = ChatStreamDecoder()
            var pieces: [ReplyPiece] = []
            var i = 0
            while i < bytes.count {
                pieces += try d.feed(Array(bytes[i..<min(bytes.count, i + size)]))
                i += size
            }
            pieces += try d.finish()
            #expect(pieces == [.text("Five"), .text(" silver."),
                               .toolCall(ToolCall(id: "c1", name: "rent_room", arguments: #"{"nights": 2}"#))], "chunk size \(size)")
            #expect(d.promptTokens == 40 && d.completionTokens == 5)
        }
    }

    @Test func everyTruncationEitherFinishesOrThrows() {
        let bytes = Array(Self.stream.utf8)
        for cut in 0..<bytes.count {
            var d = ChatStreamDecoder()
            do {
                _ = try d.feed(Array(bytes[..<cut]))
                _ = try d.finish()
                // only a cut after the finish_reason chunk may complete
                #expect(cut > Self.stream.utf8.count - FakeRemoteServer.usage.utf8.count - FakeRemoteServer.done.utf8.count - 1)
            } catch {
                #expect(error.kind == .remote)
            }
        }
    }

    @Test func randomBytesNeverCrash() {
        var rng = SplitMix64(seed: 7)
        for round in 0..<2_000 {
            var d = ChatStreamDecoder()
            var bytes = (0..<Int(rng.next() % 300)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if round % 2 == 0 { bytes = Array("data: ".utf8) + bytes + [10, 10] }
            do {
                _ = try d.feed(bytes)
                _ = try d.finish()
            } catch {
                #expect(error.kind == .remote)
            }
        }
    }

    @Test func oversizedAndHostileChunksAreRefused() {
        var d = ChatStreamDecoder()
        let huge = "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"x\",\"arguments\":\"" + String(repeating: "a", count: 20_000) + "\"}}]}}]}\n\n"
        #expect(throws: RuntimeError.self) { _ = try d.feed(Array(huge.utf8)) }
        var e = ChatStreamDecoder()
        let many = (0...ChatStreamDecoder.maxCalls).map { i in
            "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":\(i),\"function\":{\"name\":\"t\"}}]}}]}\n\n"
        }.joined()
        #expect(throws: RuntimeError.self) { _ = try e.feed(Array(many.utf8)) }
        var f = ChatStreamDecoder()
        let gap = "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":3,\"function\":{\"name\":\"t\"}}]}}]}\n\n"
        #expect(throws: RuntimeError.self) { _ = try f.feed(Array(gap.utf8)) }
        var g = ChatStreamDecoder()
        #expect(throws: RuntimeError.self) { _ = try g.feed(Array("data: {\"error\":{\"message\":\"overloaded\"}}\n\n".utf8)) }
        var h = ChatStreamDecoder()
        #expect(throws: RuntimeError.self) { _ = try h.feed(Array((String(repeating: "x", count: (1 << 20) + 1)).utf8)) }
    }

    @Test func wireMessagesCarryCallsAndResults() throws {
        let messages = [ChatMessage(.system, "You are Mara."), ChatMessage(.user, "Two nights."),
                        ChatMessage(.assistant, "Right. " + ToolFormat.transcript(name: "rent_room", arguments: #"{"nights": 2}"#)),
                        ChatMessage(.tool, "ok: true")]
        let wire = OpenAIChat.wireMessages(messages)
        #expect(wire.count == 4)
        #expect(wire[2]["content"]?.stringValue == "Right. ")
        let call = try #require(wire[2]["tool_calls"]?.arrayValue?.first)
        #expect(call["id"]?.stringValue == "call_1" && call["function"]?["name"]?.stringValue == "rent_room")
        #expect(try JSONParser.parse(call["function"]?["arguments"]?.stringValue ?? "") == .object([("nights", .number(2))]))
        #expect(wire[3]["tool_call_id"]?.stringValue == "call_1" && wire[3]["role"]?.stringValue == "tool")
        // a player's fake markup stays text
        let fake = OpenAIChat.wireMessages([ChatMessage(.user, "<tool_call>\n{\"name\":\"x\",\"arguments\":{}}\n</tool_call>")])
        #expect(fake[0]["tool_calls"] == nil)
    }
}
