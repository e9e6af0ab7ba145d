import CEspeakNG

/// Phonemes from espeak-ng, clause by clause, the way Piper gets them:
/// `espeak_TextToPhonemes` in a loop (one clause per call, IPA output), each
/// clause's ending punctuation recovered as Piper's `espeakbridge` reports it,
/// and espeak's language-switch marks such as "(fr)" removed.
public struct EspeakPhonemizer: Phonemizer {
    /// espeak-ng voice name, e.g. "en-us" (a Piper voice's `espeak.voice`).
    public let voice: String
    /// espeak-ng data directory; nil for the library's default. Only the first
    /// phonemizer to load the library decides it (espeak has one global state).
    public let dataPath: String?

    /// Loads the library now, so a missing espeak-ng or voice is reported when
    /// the voice is opened rather than at its first line.
    public init(voice: String, dataPath: String? = nil) throws(RuntimeError) {
        self.voice = voice
        self.dataPath = dataPath
        try EspeakLibrary.withLibrary(voice: voice, dataPath: dataPath) { _ throws(RuntimeError) in }
    }

    /// The loaded library's version ("1.51", "1.52.0", …).
    public static func libraryVersion(dataPath: String? = nil) throws(RuntimeError) -> String {
        try EspeakLibrary.version(dataPath: dataPath)
    }

    public func phonemize(_ text: String) throws(RuntimeError) -> [PhonemeClause] {
        // espeak reads up to a NUL and treats control characters as commands;
        // a carriage return is dropped so "\r\n" stays one line break.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 1)
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v == 0x0D || v == 0x7F { continue }
            if v < 0x20 && v != 0x0A && v != 0x09 { bytes.append(0x20); continue }
            UTF8.encode(scalar) { bytes.append($0) }
        }
        guard bytes.contains(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x09 }) else { return [] }
        bytes.append(0)

        return try EspeakLibrary.withLibrary(voice: voice, dataPath: dataPath) { library throws(RuntimeError) in
            try bytes.withUnsafeBufferPointer { buffer throws(RuntimeError) -> [PhonemeClause] in
                try Self.clauses(of: buffer, library: library)
            }
        }
    }

    /// The clause loop. `buffer` is NUL-terminated UTF-8.
    private static func clauses(of buffer: UnsafeBufferPointer<UInt8>, library: EspeakLibrary) throws(RuntimeError) -> [PhonemeClause] {
        guard let start = buffer.baseAddress, buffer.count > 1 else { return [] }
        let base = UnsafeRawPointer(start)
        let textEnd = buffer.count - 1  // offset of the NUL
        var cursor: UnsafeRawPointer? = base
        var spanStart = 0    // where the text consumed by the current call begins
        var clauseStart = 0  // where the current clause's own text begins
        var clauses: [PhonemeClause] = []
        // Each call consumes at least one character; the bound only stops a misbehaving library.
        var callsLeft = textEnd + 2

        while cursor != nil {
            guard callsLeft > 0 else {
                throw RuntimeError(.internalError, "espeak-ng did not advance through the text")
            }
            callsLeft -= 1
            var clauseType: Int32 = 0
            let output: UnsafePointer<CChar>?
            if let withTerminator = library.textToPhonemesWithTerminator {
                output = withTerminator(&cursor, Int32(espeakCHARS_UTF8), Int32(espeakPHONEMES_IPA), &clauseType)
            } else {
                output = library.textToPhonemes(&cursor, Int32(espeakCHARS_UTF8), Int32(espeakPHONEMES_IPA))
            }
            guard let output else { throw RuntimeError(.internalError, "espeak-ng could not decode the text") }
            let phonemes = removeLanguageSwitches(String(cString: output))

            // espeak reads one character past the clause (the next clause's first),
            // so the returned position is one character beyond the boundary.
            let spanEnd: Int
            if let cursor {
                let offset = base.distance(to: cursor)
                guard offset >= spanStart && offset <= textEnd else {
                    throw RuntimeError(.internalError, "espeak-ng returned a text position outside the text")
                }
                spanEnd = offset
            } else {
                spanEnd = textEnd
            }
            var boundary = spanEnd
            var next: Unicode.Scalar?
            if cursor != nil, spanEnd > spanStart {
                var lead = spanEnd - 1
                while lead > spanStart && buffer[lead] & 0xC0 == 0x80 { lead -= 1 }
                next = decodeScalar(buffer, from: lead, to: spanEnd)
                boundary = max(lead, clauseStart)
            }
            let clauseText = String(decoding: UnsafeBufferPointer(rebasing: buffer[clauseStart..<boundary]), as: UTF8.self)
            let end: EspeakClauseEnd
            if library.textToPhonemesWithTerminator != nil {
                end = EspeakClauseEnd(clauseType: clauseType)
            } else {
                end = EspeakClauseEnd(clause: clauseText[...], next: cursor == nil ? nil : next)
            }
            clauses.append(PhonemeClause(phonemes: phonemes, terminator: end.terminator,
                                         endsSentence: end.endsSentence, text: clauseText))
            spanStart = spanEnd
            clauseStart = boundary
        }
        return clauses
    }

    private static func decodeScalar(_ buffer: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Unicode.Scalar? {
        String(decoding: UnsafeBufferPointer(rebasing: buffer[from..<to]), as: UTF8.self).unicodeScalars.first
    }

    /// Drops espeak's "(en)"-style language-switch marks around foreign words,
    /// as Piper does (a parenthesis with at least one character inside).
    static func removeLanguageSwitches(_ phonemes: String) -> String {
        guard phonemes.unicodeScalars.contains("(") else { return phonemes }
        let scalars = Array(phonemes.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            if scalars[i] == "(", let close = scalars[(i + 1)...].firstIndex(of: ")"), close > i + 1 {
                i = close + 1
                continue
            }
            out.append(scalars[i])
            i += 1
        }
        return String(out)
    }
}
