/// Small models write stage directions — "(laughs)", "*sighs*", "[pauses]" — that
/// belong in subtitles, not in the voice. `spoken` removes them before speech;
/// `read` also says how they change the delivery (a whisper, a shout), so they
/// are heard instead of dropped.
public enum StageDirections {
    public static func spoken(_ text: String) -> String { read(text).spoken }

    /// A piece of the reply with its directions taken out.
    public struct Reading: Equatable, Sendable {
        public var spoken: String
        /// How the directions change the delivery; nil when none is known.
        public var delivery: Delivery?
        /// True when the directions come after the last spoken word ("Fine. *sighs*"):
        /// they belong to the next sentence.
        public var carriesOver: Bool
    }

    public static func read(_ text: String) -> Reading {
        var out = ""
        var closing: Character?
        var direction = ""
        var delivery: Delivery?
        var lastDirectionEnd = -1
        var lastSpeech = -1
        var position = 0
        for c in text {
            defer { position += 1 }
            if let end = closing {
                if c == end {
                    closing = nil
                    if let d = Delivery(direction: direction) { delivery = d.then(delivery) }
                    lastDirectionEnd = position
                    direction = ""
                } else if direction.utf8.count < 200 {
                    direction.append(c)
                }
                continue
            }
            switch c {
            case "(": closing = ")"
            case "[": closing = "]"
            case "*": closing = "*"
            default:
                out.append(c)
                if c.isLetter || c.isNumber { lastSpeech = position }
            }
        }
        // collapse the spaces a removed direction leaves behind
        var collapsed = ""
        for c in out where !(c == " " && (collapsed.last == " " || collapsed.isEmpty)) { collapsed.append(c) }
        while collapsed.last == " " { collapsed.removeLast() }
        let carries = delivery != nil && lastDirectionEnd > lastSpeech && lastSpeech >= 0
        return Reading(spoken: collapsed, delivery: delivery, carriesOver: carries)
    }
}

/// A change of delivery a stage direction asks for, applied on top of the NPC's style.
public struct Delivery: Equatable, Sendable {
    public var whisper = false
    public var rate: Float = 1
    public var pitch: Float = 1
    public var gain: Float = 1
    public var tremolo = false

    public init() {}

    /// The delivery a direction's words ask for ("whispers", "shouting", "laughs softly"), or nil.
    public init?(direction: String) {
        let words = direction.lowercased().split { !$0.isLetter }.map(String.init)
        func any(_ stems: [String]) -> Bool { words.contains { w in stems.contains { w.hasPrefix($0) } } }
        var d = Delivery()
        var known = false
        if any(["whisper", "hush", "murmur", "breath"]) {
            d.whisper = true; d.rate = 0.92; d.gain = 0.8; known = true
        }
        if any(["shout", "yell", "scream", "bellow", "roar", "bark", "holler"]) {
            d.gain = 1.8; d.rate = 1.08; d.pitch = 1.1; known = true
        }
        if any(["laugh", "chuckl", "giggl", "cackl", "snicker"]) {
            d.rate *= 1.1; d.pitch *= 1.06; d.tremolo = true; known = true
        }
        if any(["sigh", "sad", "sob", "weep", "tired", "wear"]) {
            d.rate *= 0.85; d.pitch *= 0.95; d.gain *= 0.85; known = true
        }
        if any(["mutter", "mumbl", "grumbl", "quiet", "soft"]) {
            d.gain *= 0.7; d.rate *= 1.04; d.pitch *= 0.97; known = true
        }
        guard known else { return nil }
        self = d
    }

    /// This delivery, then `other` on top (two directions in one piece).
    func then(_ other: Delivery?) -> Delivery {
        guard let other else { return self }
        var d = self
        d.whisper = whisper || other.whisper
        d.tremolo = tremolo || other.tremolo
        d.rate *= other.rate
        d.pitch *= other.pitch
        d.gain *= other.gain
        return d
    }

    /// `style` delivered this way, kept inside the style's bounds.
    public func apply(to style: VoiceStyle) -> VoiceStyle {
        var s = style
        s.rate = min(NPCLimits.voiceRate.upperBound, max(NPCLimits.voiceRate.lowerBound, s.rate * rate))
        s.pitch = min(NPCLimits.voicePitch.upperBound, max(NPCLimits.voicePitch.lowerBound, s.pitch * pitch))
        s.gain = min(NPCLimits.voiceGain.upperBound, max(NPCLimits.voiceGain.lowerBound, s.gain * gain))
        // a whisper replaces the excitation first, so later effects (a hall) act on it
        if whisper && !s.effects.contains(.whisper) { s.effects.insert(.whisper, at: 0) }
        if tremolo && !s.effects.contains(.tremolo) { s.effects.append(.tremolo) }
        if s.effects.count > VoiceEffect.maxChain { s.effects.removeLast(s.effects.count - VoiceEffect.maxChain) }
        return s
    }
}
