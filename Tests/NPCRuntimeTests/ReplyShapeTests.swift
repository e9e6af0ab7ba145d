import Foundation
import Testing
@testable import NPCRuntime

/// The reply-shaping processors on hand-made logits, and on the real model: a
/// token budget never cuts a reply mid-sentence, a phrase is never said twice.
@Suite struct ReplyShapeTests {
    @Test func sentenceEndsAreRecognisedInTokenText() {
        for text in [".", "!", "?", ". ", "!\"", "?)", "end.", "ok.\u{201D}", "ja!\n"] {
            #expect(SpeechTokens.endsSentence(Array(text.utf8)), "\(text)")
        }
        for text in ["", " ", "a", ",", ";", "\"", "Mr", ".a", "3"] {
            #expect(!SpeechTokens.endsSentence(Array(text.utf8)), "\(text)")
        }
    }

    /// A vocabulary of 6: 0 "a", 1 "b", 2 ".", 3 stop, 4 "c", 5 "!".
    let ends = SpeechTokens(isEnd: [false, false, true, false, false, true])

    func logits(_ values: [Float] = [5, 4, 0, 0, 3, 0]) -> [Float] { values }
    /// The same with the stop token (3) forbidden.
    var noStop: [Float] { [5, 4, 0, -.infinity, 3, 0] }

    /// Early in the budget only the stop is touched: it may not come mid-sentence.
    @Test func steerLeavesTheStartOfAReplyAlone() {
        let steer = SentenceEndSteer(ends: ends, stopTokens: [3], promptCount: 10, budget: 96)
        var l = logits()
        l.withUnsafeMutableBufferPointer { steer.process($0, history: ArraySlice(Array(repeating: 0, count: 10 + 20))) }
        #expect(l == noStop)
        var ended = logits()
        ended.withUnsafeMutableBufferPointer { steer.process($0, history: ArraySlice(Array(repeating: 0, count: 10 + 19) + [2])) }
        #expect(ended == logits())
    }

    /// "Pip" and the stop token: the stop must wait for a sentence end; spaces after
    /// the end do not count as words.
    @Test func aReplyNeverStopsMidSentence() {
        let spaced = SpeechTokens(isEnd: [false, false, true, false, false, true], isSpace: [false, false, false, false, false, false, true])
        let steer = SentenceEndSteer(ends: spaced, stopTokens: [3], promptCount: 2, budget: 96)
        var word = logits()
        word.withUnsafeMutableBufferPointer { steer.process($0, history: ArraySlice([9, 9, 0])) }
        #expect(word == noStop)
        var afterSpace = logits()
        afterSpace.withUnsafeMutableBufferPointer { steer.process($0, history: ArraySlice([9, 9, 0, 2, 6])) }
        #expect(afterSpace == logits())
    }

    @Test func steerFavoursSentenceEndsNearTheBudgetThenForcesThem() {
        let steer = SentenceEndSteer(ends: ends, stopTokens: [3], promptCount: 10, budget: 96)
        var soft = logits()
        soft.withUnsafeMutableBufferPointer { steer.process($0, history: ArraySlice(Array(repeating: 0, count: 10 + 80))) }
        #expect(soft[2] > 0)
        #expect(soft[5] > 0)
        #expect(soft[0] == 5)
        #expect(soft[3] == -.infinity)
        var forced = logits()
        forced.withUnsafeMutableBufferPointer { steer.process($0, history: ArraySlice(Array(repeating: 0, count: 10 + 92))) }
        let expected: [Float] = [-.infinity, -.infinity, 0, -.infinity, -.infinity, 0]
        #expect(forced == expected)
    }

    @Test func afterASentenceEndsNearTheBudgetOnlyAStopMayFollow() {
        let steer = SentenceEndSteer(ends: ends, stopTokens: [3], promptCount: 10, budget: 96)
        var l = logits()
        l.withUnsafeMutableBufferPointer { steer.process($0, history: ArraySlice(Array(repeating: 0, count: 10 + 79) + [2])) }
        let onlyStop: [Float] = [-.infinity, -.infinity, -.infinity, 0, -.infinity, -.infinity]
        #expect(l == onlyStop)
    }

    @Test func aReplyNeverOpensWithMarkup() {
        let mask = LeadingMarkupMask(tokens: SpeechTokens(isEnd: [false, false, false, false, false, false], markupOpeners: [4]), promptCount: 3)
        var first = logits()
        first.withUnsafeMutableBufferPointer { mask.process($0, history: ArraySlice([7, 7, 7])) }
        let banned: [Float] = [5, 4, 0, 0, -.infinity, 0]
        #expect(first == banned)
        var later = logits()
        later.withUnsafeMutableBufferPointer { mask.process($0, history: ArraySlice([7, 7, 7, 0])) }
        #expect(later == logits())
    }

    @Test func aReplyStopsAfterItsSentenceLimit() {
        let steer = SentenceEndSteer(ends: ends, stopTokens: [3], promptCount: 2, budget: 96, maxSentences: 2)
        let onlyStop: [Float] = [-.infinity, -.infinity, -.infinity, 0, -.infinity, -.infinity]
        // two sentences said ("a ." then "b ! ."; a run of ends counts once): stop
        var two = logits()
        two.withUnsafeMutableBufferPointer { steer.process($0, history: ArraySlice([9, 9, 0, 2, 1, 5, 2])) }
        #expect(two == onlyStop)
        // one sentence: go on, untouched this early in the budget
        var one = logits()
        one.withUnsafeMutableBufferPointer { steer.process($0, history: ArraySlice([9, 9, 0, 1, 2])) }
        #expect(one == logits())
        // mid-sentence after two: the sentence may finish (and not stop before it does)
        var mid = logits()
        mid.withUnsafeMutableBufferPointer { steer.process($0, history: ArraySlice([9, 9, 0, 2, 1, 2, 4])) }
        #expect(mid == noStop)
    }

    @Test func repeatedPhraseIsBlocked() {
        let block = RepeatedPhraseBlock(n: 3, promptCount: 2)
        // reply: 0 1 4 | 0 1 → "4" would repeat "0 1 4"
        var l = logits()
        l.withUnsafeMutableBufferPointer { block.process($0, history: ArraySlice([9, 9, 0, 1, 4, 0, 1])) }
        let blocked: [Float] = [5, 4, 0, 0, -.infinity, 0]
        #expect(l == blocked)
        // the prompt does not count: "0 1 4" there does not block the reply
        let fromPrompt = RepeatedPhraseBlock(n: 3, promptCount: 3)
        var q = logits()
        q.withUnsafeMutableBufferPointer { fromPrompt.process($0, history: ArraySlice([0, 1, 4, 0, 1])) }
        #expect(q == logits())
    }

    /// On SmolLM2 with a tight budget and a line that invites a long answer, every reply
    /// still ends on a sentence end (before the change, 16 tokens cut it mid-sentence).
    @Test(.enabled(if: TestPaths.hasModel(RuntimeTurnTests.smol)))
    func realRepliesEndOnASentence() throws {
        var c = RuntimeConfig(modelPath: try #require(TestPaths.model(RuntimeTurnTests.smol)))
        c.threads = 2
        c.contextLength = 1024
        let rt = try Runtime(config: c)
        for (i, line) in ["Tell me everything about this town and its history.", "What do you sell here, and for how much?",
                          "Describe the road to the mountains in detail."].enumerated() {
            var npc = NPCConfig(name: "Brom", persona: "The village blacksmith; gruff, talkative.")
            npc.maxReplyTokens = 16 + 8 * i
            let n = try rt.createNPC(npc)
            let turn = try rt.say(n, line)
            var reply: String?
            let start = monotonicMs()
            while reply == nil && monotonicMs() - start < 120_000 {
                guard let e = rt.events.poll() else { usleep(1000); continue }
                if e.turnID == turn && e.kind == .done { reply = e.text ?? "" }
            }
            let text = try #require(reply).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(SpeechTokens.endsSentence(Array(text.utf8)), "budget \(npc.maxReplyTokens): \(text)")
            #expect(n.lastStats.generatedTokens <= npc.maxReplyTokens)
        }
    }
}
