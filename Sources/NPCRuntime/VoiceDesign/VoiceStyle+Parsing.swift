/// A voice style from text, as the C ABI and the CLI take it: a preset name
/// ("old_man") or a JSON object {"preset":…, "pitch":…, "rate":…, "formant":…,
/// "noise_scale":…, "noise_w":…, "gain":…, "effects":[…]} whose fields override the
/// preset's. Unknown keys, names and out-of-range values are errors with a message.
extension VoiceStyle {
    public static let jsonKeys = ["preset", "pitch", "rate", "formant", "noise_scale", "noise_w", "speaker", "gain", "effects"]
    /// Longest style text accepted.
    public static let maxTextBytes = 4096

    public static func parse(_ text: String) throws(RuntimeError) -> VoiceStyle {
        guard text.utf8.count <= maxTextBytes else {
            throw RuntimeError(.invalidArgument, "voice style is \(text.utf8.count) bytes; at most \(maxTextBytes)")
        }
        let trimmed = text.trimmedWhitespace
        guard trimmed.first == "{" else { return try preset(trimmed) }
        let json: JSONValue
        do {
            json = try JSONParser.parse(trimmed)
        } catch {
            throw RuntimeError(.invalidArgument, "voice style is not valid JSON: \(error.message)")
        }
        return try style(from: json)
    }

    public static func preset(_ name: String) throws(RuntimeError) -> VoiceStyle {
        guard let style = VoicePresets.style(named: name) else {
            throw RuntimeError(.invalidArgument, "unknown voice preset \"\(name)\"; known: \(VoicePresets.names.joined(separator: ", "))")
        }
        return style
    }

    public static func effect(_ name: String) throws(RuntimeError) -> VoiceEffect {
        guard let e = VoiceEffect(rawValue: name) else {
            throw RuntimeError(.invalidArgument, "unknown voice effect \"\(name)\"; known: \(VoiceEffect.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return e
    }

    static func style(from json: JSONValue) throws(RuntimeError) -> VoiceStyle {
        guard let members = json.objectValue else { throw RuntimeError(.invalidArgument, "voice style must be a JSON object or a preset name") }
        for (key, _) in members where !jsonKeys.contains(key) {
            throw RuntimeError(.invalidArgument, "unknown voice style key \"\(key)\"; known: \(jsonKeys.joined(separator: ", "))")
        }
        var style = VoiceStyle()
        if let p = json["preset"] {
            guard let name = p.stringValue else { throw RuntimeError(.invalidArgument, "voice style \"preset\" must be a string") }
            style = try preset(name)
        }
        func number(_ key: String) throws(RuntimeError) -> Float? {
            guard let v = json[key] else { return nil }
            guard let d = v.doubleValue, d.isFinite else { throw RuntimeError(.invalidArgument, "voice style \"\(key)\" must be a number") }
            return Float(d)
        }
        if let v = try number("pitch") { style.pitch = v }
        if let v = try number("rate") { style.rate = v }
        if let v = try number("formant") { style.formant = v }
        if let v = try number("noise_scale") { style.noiseScale = v }
        if let v = try number("noise_w") { style.noiseW = v }
        if let v = try number("gain") { style.gain = v }
        if let v = json["speaker"] {
            guard let i = v.intValue else { throw RuntimeError(.invalidArgument, "voice style \"speaker\" must be an integer") }
            style.speaker = i
        }
        if let v = json["effects"] {
            guard let list = v.arrayValue else { throw RuntimeError(.invalidArgument, "voice style \"effects\" must be an array of names") }
            guard list.count <= VoiceEffect.maxChain else {
                throw RuntimeError(.invalidArgument, "voice style has \(list.count) effects; at most \(VoiceEffect.maxChain)")
            }
            var effects: [VoiceEffect] = []
            for item in list {
                guard let name = item.stringValue else { throw RuntimeError(.invalidArgument, "voice style \"effects\" must be an array of names") }
                effects.append(try effect(name))
            }
            style.effects = effects
        }
        try style.validate()
        return style
    }

    /// The bounds `NPCConfig` enforces, for styles made outside it.
    public func validate() throws(RuntimeError) {
        try NPCLimits.check(rate, in: NPCLimits.voiceRate, "voice rate")
        try NPCLimits.check(pitch, in: NPCLimits.voicePitch, "voice pitch")
        try NPCLimits.check(formant, in: NPCLimits.voiceFormant, "voice formant")
        try NPCLimits.check(gain, in: NPCLimits.voiceGain, "voice gain")
        if let v = noiseScale { try NPCLimits.check(v, in: NPCLimits.voiceNoise, "voice noise scale") }
        if let v = noiseW { try NPCLimits.check(v, in: NPCLimits.voiceNoise, "voice noise w") }
        if let v = speaker { try NPCLimits.check(v, in: NPCLimits.speaker, "voice speaker") }
        try NPCLimits.check(effects.count, in: 0...VoiceEffect.maxChain, "number of voice effects")
    }

    /// The style as the JSON `parse` reads (snapshots, reports).
    public var json: JSONValue {
        // Float → Double would print 0.8199999928474426 for 0.82
        func number(_ x: Float) -> JSONValue { .number((Double(x) * 10000).rounded() / 10000) }
        var m: [(String, JSONValue)] = []
        if let preset { m.append(("preset", .string(preset))) }
        m.append(("rate", number(rate)))
        m.append(("pitch", number(pitch)))
        m.append(("formant", number(formant)))
        if gain != 1 { m.append(("gain", number(gain))) }
        if let v = noiseScale { m.append(("noise_scale", number(v))) }
        if let v = noiseW { m.append(("noise_w", number(v))) }
        if let v = speaker { m.append(("speaker", .number(Double(v)))) }
        m.append(("effects", .array(effects.map { .string($0.rawValue) })))
        return .object(m)
    }
}
