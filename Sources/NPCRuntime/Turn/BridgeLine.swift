/// The opening of a bridged turn: neutral words an NPC says while the remote
/// model starts, so a slow remote is not heard as silence. They state no fact
/// (the remote's answer follows them), and vary from turn to turn.
public enum BridgeLine {
    public static let openings = [
        "Hmm, let me think.", "Ah, now, let me see.", "Give me a moment.", "A fair question.", "Let me think on that.",
        "Well, now.",
    ]

    public static func pick(seed: UInt64) -> String {
        var rng = SplitMix64(seed: seed)
        return openings[Int(rng.next() % UInt64(openings.count))] + " "
    }
}
