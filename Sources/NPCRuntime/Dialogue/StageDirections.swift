/// Small models write stage directions — "(laughs)", "*sighs*", "[pauses]" — that
/// belong in subtitles, not in the voice. `spoken` removes them before speech.
public enum StageDirections {
    public static func spoken(_ text: String) -> String {
        var out = ""
        var closing: Character?
        for c in text {
            if let end = closing {
                if c == end { closing = nil }
                continue
            }
            switch c {
            case "(": closing = ")"
            case "[": closing = "]"
            case "*": closing = "*"
            default: out.append(c)
            }
        }
        // collapse the spaces a removed direction leaves behind
        var collapsed = ""
        for c in out where !(c == " " && (collapsed.last == " " || collapsed.isEmpty)) { collapsed.append(c) }
        while collapsed.last == " " { collapsed.removeLast() }
        return collapsed
    }
}
