/// The one definition of what an NPC's settings may be. `NPCConfig(name:persona:)`
/// and `SamplerConfig.npcDefault` hold the defaults; the C and Lua layers map
/// fields onto those and let `validate()` judge them, so no number is repeated.
public enum NPCLimits {
    /// UTF-8 bytes of the name (it is part of every prompt and of log lines).
    public static let nameBytes: ClosedRange<Int> = 1...256
    /// UTF-8 bytes of the persona: it is prefilled into the context, which is small.
    public static let personaBytes: ClosedRange<Int> = 0...16_384
    public static let knowledgeLines: ClosedRange<Int> = 0...512
    /// Sample exchanges per NPC, and the bytes of one sample reply.
    public static let examples: ClosedRange<Int> = 0...16
    public static let exampleReplyBytes: ClosedRange<Int> = 1...4096
    /// Authored lines per NPC (their triggers and replies are bounded as examples are).
    public static let authoredLines: ClosedRange<Int> = 0...64
    public static let maxSentences: ClosedRange<Int> = 0...64
    public static let maxReplyTokens: ClosedRange<Int> = 1...1024
    /// Speaking rate relative to the voice's own; beyond this the voice is unintelligible.
    public static let voiceRate: ClosedRange<Float> = 0.25...4
    /// Pitch factor: beyond an octave either way the resampled voice is a caricature.
    public static let voicePitch: ClosedRange<Float> = 0.5...2
    /// Formant factor: roughly the range of human vocal-tract lengths around an adult male's.
    public static let voiceFormant: ClosedRange<Float> = 0.7...1.4
    /// Loudness factor (stage directions).
    public static let voiceGain: ClosedRange<Float> = 0...4
    /// VITS noise scales (Piper voices ship ~0.67 and ~0.8); larger values are noise.
    public static let voiceNoise: ClosedRange<Float> = 0...2
    /// Speaker index of multi-speaker voices (the voice checks its own count).
    public static let speaker: ClosedRange<Int> = 0...Int(Int32.max)
    public static let temperature: ClosedRange<Float> = 0...5
    /// 0 turns top-k off; more candidates than this is the same as off.
    public static let topK: ClosedRange<Int> = 0...1000
    /// topP is in (0, 1]: 0 itself is excluded (it would keep no token); 1 turns it off.
    public static let topP: ClosedRange<Float> = 0...1
    /// minP is in [0, 1): 1 itself is excluded (it would keep only ties with the best); 0 turns it off.
    public static let minP: Range<Float> = 0..<1
    /// 1 turns the penalty off; below 1 it favours repetition.
    public static let repeatPenalty: ClosedRange<Float> = 0.5...2
    public static let repeatWindow: ClosedRange<Int> = 0...4096
    /// Tools one NPC may have (each is described in every prompt).
    public static let tools: ClosedRange<Int> = 0...16
    /// A tool's rate limit: calls per window (0: no limit) and the window.
    public static let toolCallsPerWindow: ClosedRange<Int> = 0...1000
    public static let toolRateWindowSeconds: ClosedRange<Float> = 0.001...86_400
    /// A script error's message in an ERROR event (characters).
    public static let maxScriptErrorCharacters = 1024
    /// UTF-8 bytes of one player line.
    public static let playerLineBytes: ClosedRange<Int> = 1...4096
    /// Worker threads of a runtime; 0 lets the runtime choose.
    public static let threads: ClosedRange<Int> = 0...64
    /// Context length per NPC in tokens; 0 lets the runtime choose.
    public static let contextLength: ClosedRange<Int> = 0...131_072

    public static func check<T: Comparable>(_ value: T, in range: ClosedRange<T>, _ field: String) throws(RuntimeError) {
        guard range.contains(value) else {
            throw RuntimeError(.invalidArgument, "\(field) is \(value); it must be in \(range.lowerBound)…\(range.upperBound)")
        }
    }

    /// Floats also name NaN and infinities as the problem (a script's 1/0 or 0/0).
    public static func check(_ value: Float, in range: ClosedRange<Float>, _ field: String) throws(RuntimeError) {
        guard value.isFinite, range.contains(value) else {
            throw RuntimeError(.invalidArgument, "\(field) is \(value); it must be a finite number in \(range.lowerBound)…\(range.upperBound)")
        }
    }

    /// A player line as `Runtime.say` accepts it.
    public static func validatePlayerLine(_ line: String) throws(RuntimeError) {
        try check(line.utf8.count, in: playerLineBytes, "player line length in bytes")
    }
}

extension NPCConfig {
    /// Throws `.invalidArgument` naming the first field out of `NPCLimits` and its range.
    public func validate() throws(RuntimeError) {
        try NPCLimits.check(name.utf8.count, in: NPCLimits.nameBytes, "name length in bytes")
        try NPCLimits.check(persona.utf8.count, in: NPCLimits.personaBytes, "persona length in bytes")
        try NPCLimits.check(knowledge.count, in: NPCLimits.knowledgeLines, "number of knowledge lines")
        try NPCLimits.check(examples.count, in: NPCLimits.examples, "number of examples")
        for e in examples {
            try NPCLimits.check(e.player.utf8.count, in: NPCLimits.playerLineBytes, "example player line length in bytes")
            try NPCLimits.check(e.reply.utf8.count, in: NPCLimits.exampleReplyBytes, "example reply length in bytes")
        }
        try NPCLimits.check(authored.count, in: NPCLimits.authoredLines, "number of authored lines")
        for a in authored {
            try NPCLimits.check(a.trigger.utf8.count, in: NPCLimits.playerLineBytes, "authored trigger length in bytes")
            try NPCLimits.check(a.reply.utf8.count, in: NPCLimits.exampleReplyBytes, "authored reply length in bytes")
        }
        try NPCLimits.check(maxReplyTokens, in: NPCLimits.maxReplyTokens, "max reply tokens")
        try NPCLimits.check(maxSentences, in: NPCLimits.maxSentences, "max sentences")
        try NPCLimits.check(voice.rate, in: NPCLimits.voiceRate, "voice rate")
        if let v = voice.noiseScale { try NPCLimits.check(v, in: NPCLimits.voiceNoise, "voice noise scale") }
        if let v = voice.noiseW { try NPCLimits.check(v, in: NPCLimits.voiceNoise, "voice noise w") }
        if let v = voice.speaker { try NPCLimits.check(v, in: NPCLimits.speaker, "voice speaker") }
        try NPCLimits.check(voice.pitch, in: NPCLimits.voicePitch, "voice pitch")
        try NPCLimits.check(voice.formant, in: NPCLimits.voiceFormant, "voice formant")
        try NPCLimits.check(voice.gain, in: NPCLimits.voiceGain, "voice gain")
        try NPCLimits.check(voice.effects.count, in: 0...VoiceEffect.maxChain, "number of voice effects")
        guard position.x.isFinite, position.y.isFinite, position.z.isFinite else {
            throw RuntimeError(.invalidArgument, "position must be finite, got (\(position.x), \(position.y), \(position.z))")
        }
        try NPCLimits.check(tools.count, in: NPCLimits.tools, "number of tools")
        for (i, tool) in tools.enumerated() where tools[..<i].contains(where: { $0.name == tool.name }) {
            throw RuntimeError(.invalidArgument, "tool \"\(tool.name)\" is given twice")
        }
        try NPCLimits.check(sampler.temperature, in: NPCLimits.temperature, "temperature")
        try NPCLimits.check(sampler.topK, in: NPCLimits.topK, "top-k")
        try NPCLimits.check(sampler.topP, in: NPCLimits.topP, "top-p")
        guard sampler.topP > NPCLimits.topP.lowerBound else {
            throw RuntimeError(.invalidArgument, "top-p is \(sampler.topP); it must be above \(NPCLimits.topP.lowerBound) and at most \(NPCLimits.topP.upperBound)")
        }
        guard sampler.minP.isFinite, NPCLimits.minP.contains(sampler.minP) else {
            throw RuntimeError(.invalidArgument, "min-p is \(sampler.minP); it must be at least \(NPCLimits.minP.lowerBound) and below \(NPCLimits.minP.upperBound)")
        }
        try NPCLimits.check(sampler.repeatPenalty, in: NPCLimits.repeatPenalty, "repeat penalty")
        try NPCLimits.check(sampler.repeatWindow, in: NPCLimits.repeatWindow, "repeat window")
    }
}

extension RuntimeConfig {
    /// The runtime-wide settings a game passes in; `Runtime.init` trusts them.
    public func validate() throws(RuntimeError) {
        try NPCLimits.check(threads, in: NPCLimits.threads, "threads")
        try NPCLimits.check(contextLength, in: NPCLimits.contextLength, "context length")
    }
}
