import Testing
@testable import NPCRuntime

/// NPCLimits: the defaults pass, each bound is enforced, and messages name the field and range.
struct NPCLimitsTests {
    func message(_ c: NPCConfig) -> String? {
        do { try c.validate(); return nil } catch { return error.message }
    }

    @Test("the defaults and the greedy sampler are within the limits")
    func defaultsValid() throws {
        try NPCConfig(name: "Mara", persona: "").validate()
        var c = NPCConfig(name: "Mara", persona: "")
        c.sampler = .greedy
        try c.validate()
        try RuntimeConfig().validate()
    }

    @Test("each field out of range is refused, naming the field and its range")
    func bounds() {
        var c = NPCConfig(name: "", persona: "")
        #expect(message(c) == "name length in bytes is 0; it must be in 1…256")
        c.name = String(repeating: "a", count: 257)
        #expect(message(c) == "name length in bytes is 257; it must be in 1…256")
        c = NPCConfig(name: "Mara", persona: String(repeating: "p", count: 16_385))
        #expect(message(c)?.hasPrefix("persona length in bytes is 16385") == true)
        c = NPCConfig(name: "Mara", persona: "")
        c.knowledge = Array(repeating: "x", count: 513)
        #expect(message(c) == "number of knowledge lines is 513; it must be in 0…512")
        c = NPCConfig(name: "Mara", persona: "")
        c.maxReplyTokens = 0
        #expect(message(c) == "max reply tokens is 0; it must be in 1…1024")
        c.maxReplyTokens = 1024
        #expect(message(c) == nil)
        c.voice.rate = .nan
        #expect(message(c) == "voice rate is nan; it must be a finite number in 0.25…4.0")
        c.voice.rate = 4
        c.voice.noiseScale = 3
        #expect(message(c) == "voice noise scale is 3.0; it must be a finite number in 0.0…2.0")
        c.voice.noiseScale = nil
        c.position = (0, .infinity, 0)
        #expect(message(c)?.hasPrefix("position must be finite") == true)
        c.position = (0, 0, 0)
        c.sampler.temperature = .infinity
        #expect(message(c) == "temperature is inf; it must be a finite number in 0.0…5.0")
        c.sampler.temperature = 0
        c.sampler.topK = -1
        #expect(message(c) == "top-k is -1; it must be in 0…1000")
        c.sampler.topK = 1000
        c.sampler.topP = 0
        #expect(message(c) == "top-p is 0.0; it must be above 0.0 and at most 1.0")
        c.sampler.topP = 1
        c.sampler.minP = 1
        #expect(message(c) == "min-p is 1.0; it must be at least 0.0 and below 1.0")
        c.sampler.minP = .nan
        #expect(message(c)?.hasPrefix("min-p is nan") == true)
        c.sampler.minP = 0
        c.sampler.repeatPenalty = 0.4
        #expect(message(c) == "repeat penalty is 0.4; it must be a finite number in 0.5…2.0")
        c.sampler.repeatPenalty = 2
        #expect(message(c) == nil)
    }

    @Test("runtime settings and player lines")
    func runtimeAndLine() {
        var r = RuntimeConfig()
        r.threads = 65
        #expect(throws: RuntimeError.self) { try r.validate() }
        r.threads = 64
        r.contextLength = -1
        #expect((try? r.validate()) == nil)
        #expect((try? NPCLimits.validatePlayerLine("")) == nil)
        #expect((try? NPCLimits.validatePlayerLine(String(repeating: "a", count: 4096))) != nil)
        #expect((try? NPCLimits.validatePlayerLine(String(repeating: "a", count: 4097))) == nil)
    }

    @Test("event kind names: one per kind, the names scripts see")
    func kindNames() {
        #expect(RuntimeEvent.Kind.allCases.map(\.name) == ["text", "audio", "viseme", "tool_call", "route", "done", "error"])
    }
}
