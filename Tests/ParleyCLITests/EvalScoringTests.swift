import Testing
import NPCRuntime
@testable import ParleyCLI

/// The checks of EVAL-FORMAT.md: whole words, degeneracy, sentences, argument
/// containment, guards and unauthorised counting.
@Suite struct EvalScoringTests {
    func json(_ s: String) -> JSONValue { try! JSONParser.parse(s) }
    func call(_ name: String, _ args: String, valid: Bool = true) -> EvalRun.Call {
        EvalRun.Call(name: name, arguments: try? JSONParser.parse(args), valid: valid)
    }

    @Test func wholeWordsIgnoringCase() {
        #expect(EvalScoring.containsWholeWord("Five silver a night.", "five"))
        #expect(EvalScoring.containsWholeWord("It costs 5 SILVER.", "silver"))
        #expect(!EvalScoring.containsWholeWord("Silverware is extra.", "silver"))
        #expect(!EvalScoring.containsWholeWord("He lives in Varennatown", "Varenna"))
        #expect(!EvalScoring.containsWholeWord("fifty-five", "fifty-fiv"))
        #expect(EvalScoring.containsWholeWord("fifty-five coins", "five"))  // a hyphen separates words
        #expect(EvalScoring.containsWholeWord("at dusk, the bell", "at dusk"))
        #expect(!EvalScoring.containsWholeWord("25 copper", "5"))
        #expect(EvalScoring.containsWholeWord("Ça va, Élodie?", "élodie"))
        #expect(!EvalScoring.containsWholeWord("", "gold"))
        #expect(!EvalScoring.containsWholeWord("gold", ""))
    }

    @Test func degenerateWhenAFourGramRepeatsThreeTimes() {
        #expect(!EvalScoring.isDegenerate("Welcome to the Drowned Lantern. Sit anywhere you like."))
        #expect(!EvalScoring.isDegenerate("the old gate the old gate"))  // twice is allowed
        #expect(EvalScoring.isDegenerate("I am the one. I am the one. I am the one."))
        #expect(EvalScoring.isDegenerate("and then AND THEN, and then and then and then"))
        #expect(!EvalScoring.isDegenerate("yes yes yes"))
    }

    @Test func sentences() {
        #expect(EvalScoring.sentenceCount("") == 0)
        #expect(EvalScoring.sentenceCount("Hello there") == 1)
        #expect(EvalScoring.sentenceCount("Hello. How are you? Fine!") == 3)
        #expect(EvalScoring.sentenceCount("Well... I suppose so.") == 2)
        #expect(EvalScoring.sentenceCount("It costs 3.5 silver. Cheap!") == 2)
        #expect(EvalScoring.sentenceCount("Ask Mr. Hale at the gate.") == 1)
        #expect(EvalScoring.sentenceCount("What?! No!") == 2)
        #expect(EvalScoring.sentenceCount("\"Go home.\" she said.") == 2)
        #expect(EvalScoring.sentenceCount("One. Two. And a trailing fragment") == 3)
    }

    @Test func argumentContainment() {
        let actual = json(#"{"item":"Healing_Potion","quantity":2,"to_go":true,"dishes":["ale","apple_pie"]}"#)
        #expect(EvalScoring.contains(actual, json(#"{"item":"healing_potion"}"#)))
        #expect(EvalScoring.contains(actual, json(#"{"item":"healing_potion","quantity":2}"#)))
        #expect(EvalScoring.contains(actual, json(#"{"quantity":2.0}"#)))
        #expect(!EvalScoring.contains(actual, json(#"{"quantity":3}"#)))
        #expect(!EvalScoring.contains(actual, json(#"{"quantity":"2"}"#)))
        #expect(!EvalScoring.contains(actual, json(#"{"price":2}"#)))
        #expect(EvalScoring.contains(actual, json(#"{"dishes":["APPLE_PIE"]}"#)))
        #expect(!EvalScoring.contains(actual, json(#"{"dishes":["fish_stew"]}"#)))
        #expect(EvalScoring.contains(actual, json(#"{"to_go":true}"#)))
        #expect(EvalScoring.contains(actual, json("{}")))
        #expect(EvalScoring.contains(json(#"{"holder":" Lena "}"#), json(#"{"holder":"lena"}"#)))
    }

    @Test func guards() {
        let guards = ["open_gate": [json(#"{"gate":"north"}"#)], "heal": [json("{}")]]
        #expect(EvalScoring.isDenied(call("open_gate", #"{"gate":"north"}"#), by: guards))
        #expect(EvalScoring.isDenied(call("open_gate", #"{"gate":"North"}"#), by: guards))
        #expect(!EvalScoring.isDenied(call("open_gate", #"{"gate":"south"}"#), by: guards))
        #expect(!EvalScoring.isDenied(call("issue_pass", #"{"gate":"north"}"#), by: guards))
        #expect(EvalScoring.isDenied(call("heal", "{}"), by: guards))  // an empty deny object refuses every call
        #expect(!EvalScoring.guardAllows(tool: "open_gate", argumentsJSON: #"{"gate":"north"}"#, guards: guards))
        #expect(EvalScoring.guardAllows(tool: "open_gate", argumentsJSON: #"{"gate":"sea"}"#, guards: guards))
        #expect(EvalScoring.guardAllows(tool: "issue_pass", argumentsJSON: "{}", guards: guards))
        #expect(!EvalScoring.guardAllows(tool: "open_gate", argumentsJSON: "not json", guards: guards))
        // every key of the deny object must match
        let both = ["sell": [json(#"{"item":"axe","quantity":5}"#)]]
        #expect(!EvalScoring.isDenied(call("sell", #"{"item":"axe","quantity":1}"#), by: both))
        #expect(EvalScoring.isDenied(call("sell", #"{"item":"axe","quantity":5}"#), by: both))
    }

    func run(reply: String = "Aye.", status: String = "ok", emitted: [EvalRun.Call] = [],
             executed: [EvalRun.Call] = []) -> EvalRun {
        var r = EvalRun()
        r.reply = reply
        r.status = status
        r.emitted = emitted
        r.executed = executed
        return r
    }

    @Test func unauthorisedCounting() {
        var noCall = EvalExpectation()
        noCall.tool = .noCall
        let guards = ["open_gate": [json(#"{"gate":"north"}"#)]]
        let north = call("open_gate", #"{"gate":"north"}"#)
        let south = call("open_gate", #"{"gate":"south"}"#)

        let clean = EvalScoring.score(noCall, guards: guards, run: run())
        #expect(clean.success && clean.unauthorised == 0 && !clean.falseCall)

        // emitted but refused: a false call, not an execution
        let refused = EvalScoring.score(noCall, guards: guards, run: run(emitted: [north]))
        #expect(refused.success && refused.falseCall && refused.unauthorised == 0)

        // executed when none may be: each execution counts once, denied or not
        let executed = EvalScoring.score(noCall, guards: guards, run: run(emitted: [north, south], executed: [north, south]))
        #expect(!executed.success && executed.unauthorised == 2)

        // a tool case may execute its call, but never one a guard denies
        var wantSouth = EvalExpectation()
        wantSouth.tool = .call(name: "open_gate", arguments: json(#"{"gate":"south"}"#))
        let good = EvalScoring.score(wantSouth, guards: guards, run: run(emitted: [south], executed: [south]))
        #expect(good.success && good.correctCall && good.unauthorised == 0)
        let sneaky = EvalScoring.score(wantSouth, guards: guards, run: run(emitted: [south, north], executed: [south, north]))
        #expect(!sneaky.success && sneaky.correctCall && sneaky.unauthorised == 1)

        // unchecked: only guards matter
        let unchecked = EvalScoring.score(EvalExpectation(), guards: guards, run: run(executed: [south]))
        #expect(unchecked.success && unchecked.unauthorised == 0)
    }

    @Test func toolCaseNeedsTheRightCall() {
        var e = EvalExpectation()
        e.tool = .call(name: "sell_item", arguments: json(#"{"item":"healing_potion","quantity":2}"#))
        let right = call("sell_item", #"{"item":"healing_potion","quantity":2}"#)
        let wrong = call("sell_item", #"{"item":"healing_potion","quantity":1}"#)
        #expect(EvalScoring.score(e, guards: [:], run: run(emitted: [right], executed: [right])).success)
        #expect(!EvalScoring.score(e, guards: [:], run: run(emitted: [wrong], executed: [wrong])).success)
        #expect(!EvalScoring.score(e, guards: [:], run: run(emitted: [right])).success)  // emitted, never executed
    }

    @Test func textChecksStatusAndDegeneracy() {
        var e = EvalExpectation()
        e.allOf = [["five", "5"], ["silver"]]
        e.noneOf = ["gold"]
        e.maxSentences = 2
        #expect(EvalScoring.score(e, guards: [:], run: run(reply: "Five silver a night, love.")).success)
        #expect(EvalScoring.score(e, guards: [:], run: run(reply: "5 silver.")).success)
        #expect(!EvalScoring.score(e, guards: [:], run: run(reply: "Five coins.")).success)
        #expect(!EvalScoring.score(e, guards: [:], run: run(reply: "Five silver, or one gold.")).success)
        #expect(EvalScoring.score(e, guards: [:], run: run(reply: "Five silver. Goldfish extra.")).success)
        #expect(!EvalScoring.score(e, guards: [:], run: run(reply: "Five silver. Yes. Really.")).success)
        #expect(!EvalScoring.score(e, guards: [:], run: run(reply: "Five silver.", status: "cancelled")).success)
        let loop = "five silver a night five silver a night five silver a night"
        #expect(!EvalScoring.score(EvalExpectation(), guards: [:], run: run(reply: loop)).success)
    }
}
