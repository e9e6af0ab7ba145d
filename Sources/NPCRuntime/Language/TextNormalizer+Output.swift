extension TextNormalizer {
    /// The normalized text being built: words get a space between them where
    /// the source had none ("B52" → "B fifty two"); symbols dropped from speech
    /// leave a space only between two words.
    struct Output {
        private enum Piece {
            case word(String)
            case text(String)
            case space(String)
            case silent
        }

        private var pieces: [Piece] = []

        mutating func word(_ w: String) { pieces.append(.word(w)) }
        mutating func text(_ t: String) { pieces.append(.text(t)) }
        mutating func space(_ s: String) { pieces.append(.space(s)) }
        mutating func silent() { pieces.append(.silent) }

        var rendered: String {
            var s = ""
            var afterWord = false
            var pendingSilent = false
            for piece in pieces {
                switch piece {
                case let .word(w):
                    if afterWord || (pendingSilent && !s.isEmpty && s.last != " " && s.last != "\n") { s += " " }
                    s += w
                    afterWord = true
                    pendingSilent = false
                case let .text(t):
                    s += t
                    afterWord = false
                    pendingSilent = false
                case let .space(sp):
                    if sp.contains("\n") {
                        while s.last == " " { s.removeLast() }
                        if !s.isEmpty && !s.hasSuffix("\n\n") { s += "\n\n" }
                    } else if !s.isEmpty && s.last != " " && s.last != "\n" {
                        s += " "
                    }
                    afterWord = false
                    pendingSilent = false
                case .silent:
                    pendingSilent = afterWord || pendingSilent
                    afterWord = false
                }
            }
            while let last = s.last, last == " " || last == "\n" { s.removeLast() }
            return s
        }
    }
}
