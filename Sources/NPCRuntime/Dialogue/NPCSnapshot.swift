/// Save/load of an NPC for the game's save file: versioned JSON bytes with the
/// config, history and summary. The KV cache is not saved; the first turn after
/// a load prefills the conversation again.
public enum NPCSnapshot {
    public static let format = "parley.npc"
    public static let version = 1
    static let maxBytes = 4 << 20

    public static func encode(_ npc: NPC) -> [UInt8] {
        let c = npc.config
        var voice: [(String, JSONValue)] = [("rate", .number(Double(c.voice.rate)))]
        if let v = c.voice.noiseScale { voice.append(("noise_scale", .number(Double(v)))) }
        if let v = c.voice.noiseW { voice.append(("noise_w", .number(Double(v)))) }
        if let v = c.voice.speaker { voice.append(("speaker", .number(Double(v)))) }
        // sound design only when set, so plain voices save as before
        if c.voice.pitch != 1 { voice.append(("pitch", .number(Double(c.voice.pitch)))) }
        if c.voice.formant != 1 { voice.append(("formant", .number(Double(c.voice.formant)))) }
        if c.voice.gain != 1 { voice.append(("gain", .number(Double(c.voice.gain)))) }
        if !c.voice.effects.isEmpty { voice.append(("effects", .array(c.voice.effects.map { .string($0.rawValue) }))) }
        if let p = c.voice.preset { voice.append(("preset", .string(p))) }
        let s = c.sampler
        let json = JSONValue.object([
            ("format", .string(format)), ("version", .number(Double(version))),
            ("name", .string(c.name)), ("persona", .string(c.persona)),
            ("knowledge", .array(c.knowledge.map { .string($0) })),
            ("examples", .array(c.examples.map { .object([("player", .string($0.player)), ("reply", .string($0.reply))]) })),
            ("authored", .array(c.authored.map { .object([("trigger", .string($0.trigger)), ("reply", .string($0.reply))]) })),
            ("voice", .object(voice)),
            ("position", .array([c.position.x, c.position.y, c.position.z].map { .number(Double($0)) })),
            ("policy", .string(c.policy.rawValue)),
            ("max_reply_tokens", .number(Double(c.maxReplyTokens))),
            ("max_sentences", .number(Double(c.maxSentences))),
            ("sampler", .object([("temperature", .number(Double(s.temperature))), ("top_k", .number(Double(s.topK))),
                                 ("top_p", .number(Double(s.topP))), ("min_p", .number(Double(s.minP))),
                                 ("repeat_penalty", .number(Double(s.repeatPenalty))),
                                 ("seed", .string(String(s.seed)))])),
            ("history", .array(npc.history.map { .object([("role", .string($0.role.rawValue)), ("content", .string($0.content))]) })),
            ("summary", .string(npc.summary)),
            ("turns", .number(Double(npc.turnCount))),
        ])
        return Array(json.serialized.utf8)
    }

    public struct Decoded: Sendable {
        public var config: NPCConfig
        public var history: [ChatMessage]
        public var summary: String
        public var turns: UInt64
    }

    public static func decode(_ bytes: [UInt8]) throws(RuntimeError) -> Decoded {
        guard bytes.count <= maxBytes else { throw RuntimeError(.invalidArgument, "NPC save data larger than 4 MB") }
        let json: JSONValue
        do { json = try JSONParser.parse(bytes) } catch { throw RuntimeError(.invalidArgument, "NPC save data: \(error.message)") }
        func fail(_ why: String) -> RuntimeError { RuntimeError(.invalidArgument, "NPC save data: \(why)") }
        guard json["format"]?.stringValue == format else { throw fail("not a Parley NPC (format)") }
        guard let v = json["version"]?.intValue, v >= 1, v <= version else { throw fail("unsupported version") }
        guard let name = json["name"]?.stringValue, let persona = json["persona"]?.stringValue else { throw fail("name/persona missing") }
        var c = NPCConfig(name: name, persona: persona)
        c.knowledge = try (json["knowledge"]?.arrayValue ?? []).map { (k: JSONValue) throws(RuntimeError) -> String in
            guard let s = k.stringValue else { throw fail("knowledge must be strings") }
            return s
        }
        c.examples = try (json["examples"]?.arrayValue ?? []).map { (e: JSONValue) throws(RuntimeError) -> DialogueExample in
            guard let player = e["player"]?.stringValue, let reply = e["reply"]?.stringValue else {
                throw fail("examples must be {player, reply} strings")
            }
            return DialogueExample(player: player, reply: reply)
        }
        c.authored = try (json["authored"]?.arrayValue ?? []).map { (e: JSONValue) throws(RuntimeError) -> AuthoredLine in
            guard let trigger = e["trigger"]?.stringValue, let reply = e["reply"]?.stringValue else {
                throw fail("authored lines must be {trigger, reply} strings")
            }
            return AuthoredLine(trigger: trigger, reply: reply)
        }
        if let voice = json["voice"] {
            c.voice.rate = Float(voice["rate"]?.doubleValue ?? Double(c.voice.rate))
            c.voice.noiseScale = voice["noise_scale"]?.doubleValue.map { Float($0) }
            c.voice.noiseW = voice["noise_w"]?.doubleValue.map { Float($0) }
            c.voice.speaker = voice["speaker"]?.intValue
            c.voice.pitch = Float(voice["pitch"]?.doubleValue ?? 1)
            c.voice.formant = Float(voice["formant"]?.doubleValue ?? 1)
            c.voice.gain = Float(voice["gain"]?.doubleValue ?? 1)
            c.voice.preset = voice["preset"]?.stringValue
            c.voice.effects = []
            for e in (voice["effects"]?.arrayValue ?? []).prefix(VoiceEffect.maxChain) {
                guard let name = e.stringValue, let effect = VoiceEffect(rawValue: name) else {
                    throw fail("voice effects must be names of known effects")
                }
                c.voice.effects.append(effect)
            }
        }
        if let p = json["position"]?.arrayValue, p.count == 3 {
            let values = p.map { Float($0.doubleValue ?? 0) }
            c.position = (values[0], values[1], values[2])
        }
        if let p = json["policy"]?.stringValue {
            guard let policy = RoutingPolicy(rawValue: p) else { throw fail("unknown policy \(p)") }
            c.policy = policy
        }
        c.maxReplyTokens = json["max_reply_tokens"]?.intValue ?? c.maxReplyTokens
        c.maxSentences = json["max_sentences"]?.intValue ?? c.maxSentences
        if let s = json["sampler"] {
            c.sampler.temperature = Float(s["temperature"]?.doubleValue ?? Double(c.sampler.temperature))
            c.sampler.topK = s["top_k"]?.intValue ?? c.sampler.topK
            c.sampler.topP = Float(s["top_p"]?.doubleValue ?? Double(c.sampler.topP))
            c.sampler.minP = Float(s["min_p"]?.doubleValue ?? Double(c.sampler.minP))
            c.sampler.repeatPenalty = Float(s["repeat_penalty"]?.doubleValue ?? Double(c.sampler.repeatPenalty))
            c.sampler.seed = s["seed"]?.stringValue.flatMap { UInt64($0) } ?? 0
        }
        var history: [ChatMessage] = []
        for m in json["history"]?.arrayValue ?? [] {
            guard let roleName = m["role"]?.stringValue, let role = ChatMessage.Role(rawValue: roleName),
                  let content = m["content"]?.stringValue else { throw fail("bad history entry") }
            history.append(ChatMessage(role, content))
        }
        let turns = UInt64(max(0, json["turns"]?.intValue ?? history.count / 2))
        return Decoded(config: c, history: history, summary: json["summary"]?.stringValue ?? "", turns: turns)
    }
}

extension Runtime {
    /// Recreates a saved NPC; it continues the conversation on its next turn.
    public func loadNPC(_ bytes: [UInt8]) throws(RuntimeError) -> NPC {
        let d = try NPCSnapshot.decode(bytes)
        let npc = try createNPC(d.config)
        npc.restore(history: d.history, summary: d.summary, turnCount: d.turns)
        return npc
    }
}
