/// A sentence's lip-sync track from the voice model's own durations: each id
/// lasts its frames × hop samples, each phoneme spans its ids (its own and the
/// pad after it), so the phoneme timeline is exact, not estimated.
public enum VisemeTimeline {
    /// Consecutive viseme spans covering samples 0 ..< Σ framesPerID · hopLength
    /// without gaps; ids outside every span (`^ _` before the first phoneme, `$`
    /// after the last) are silence; adjacent spans of one viseme are merged and
    /// empty ones dropped. Spans that overlap an earlier one or fall outside the
    /// ids are ignored.
    public static func spans(framesPerID: [Int], phonemes: [PhonemeIDMapper.Span], hopLength: Int) -> [VisemeSpan] {
        // (role, samples) per stretch of ids, in order
        var segments: [(role: Viseme.Role, samples: Int)] = []
        func samples(_ ids: Range<Int>) -> Int { framesPerID[ids].reduce(0) { $0 + max(0, $1) } * max(0, hopLength) }
        var position = 0
        for span in phonemes where span.ids.lowerBound >= position && span.ids.upperBound <= framesPerID.count {
            if span.ids.lowerBound > position { segments.append((.shape(.sil), samples(position ..< span.ids.lowerBound))) }
            segments.append((Viseme.role(of: span.phoneme), samples(span.ids)))
            position = span.ids.upperBound
        }
        if position < framesPerID.count { segments.append((.shape(.sil), samples(position ..< framesPerID.count))) }

        // Stress marks take the shape after them, then holds take the shape before them.
        var shapes = [Viseme](repeating: .sil, count: segments.count)
        var following = Viseme.sil
        for i in segments.indices.reversed() {
            if case let .shape(v) = segments[i].role { following = v }
            if segments[i].role == .next { shapes[i] = following }
        }
        var before: Viseme?
        for i in segments.indices {
            switch segments[i].role {
            case let .shape(v): shapes[i] = v
            case .next: break
            case .previous: shapes[i] = before ?? Self.nextShape(after: i, segments.map(\.role))
            }
            before = shapes[i]
        }

        var result: [VisemeSpan] = []
        var start = 0
        for (i, segment) in segments.enumerated() where segment.samples > 0 {
            let end = start + segment.samples
            if let last = result.last, last.viseme == shapes[i] {
                result[result.count - 1].end = end
            } else {
                result.append(VisemeSpan(viseme: shapes[i], start: start, end: end))
            }
            start = end
        }
        return result
    }

    /// The first explicit shape after segment `i` (silence if there is none).
    private static func nextShape(after i: Int, _ roles: [Viseme.Role]) -> Viseme {
        for role in roles[(i + 1)...] { if case let .shape(v) = role { return v } }
        return .sil
    }
}
