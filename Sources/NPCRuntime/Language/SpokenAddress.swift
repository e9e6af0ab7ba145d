/// Web addresses and email addresses as a voice reads them:
/// "https://www.example.com/quests/new" → "w w w dot example dot com slash
/// quests slash new", "bob.smith@mail.example.org" → "bob dot smith at mail
/// dot example dot org". The scheme, query and fragment are not read.
enum SpokenAddress {
    /// Top-level domains that mark a bare "name.tld" as an address.
    static let knownTopLevelDomains: Set<String> = [
        "com", "org", "net", "io", "gg", "dev", "edu", "gov", "co", "uk", "de", "fr", "app", "tv", "me",
        "info", "ai", "us", "ca", "au", "jp", "eu",
    ]

    /// The spoken form of `word` if it is an email or web address.
    static func spoken(_ word: String) -> String? {
        if word.contains("@") { return email(word) }
        return url(word)
    }

    static func email(_ word: String) -> String? {
        let parts = word.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let local = parts.first, let domain = parts.last, !local.isEmpty,
              local.allSatisfy({ $0.isLetter || $0.isNumber || "._%+-".contains($0) }),
              let host = hostWords(domain, requireKnownTLD: false, allowSingleLabel: false) else { return nil }
        return pieceWords(local) + " at " + host
    }

    static func url(_ word: String) -> String? {
        var rest = Substring(word)
        var hadScheme = false
        for scheme in ["https://", "http://", "ftp://"] where rest.lowercased().hasPrefix(scheme) {
            rest = rest.dropFirst(scheme.count)
            hadScheme = true
        }
        if let cut = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<cut] }
        let hostEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        var host = rest[..<hostEnd]
        var port: Substring?
        if let colon = host.firstIndex(of: ":") {
            port = host[host.index(after: colon)...]
            host = host[..<colon]
            guard let p = port, !p.isEmpty, p.allSatisfy(\.isASCII), p.allSatisfy(\.isNumber) else { return nil }
        }
        let isWWW = host.lowercased().hasPrefix("www.")
        guard let hostSpoken = hostWords(host, requireKnownTLD: !(hadScheme || isWWW), allowSingleLabel: hadScheme) else {
            return nil
        }
        var spoken = hostSpoken
        if let port { spoken += " colon " + port }
        for segment in rest[hostEnd...].split(separator: "/") {
            spoken += " slash " + pieceWords(segment)
        }
        return spoken
    }

    /// "www.example.com" → "w w w dot example dot com"; nil unless every label
    /// is letters, digits and inner hyphens and the last is alphabetic (a
    /// single label such as "localhost" only after a scheme).
    private static func hostWords(_ host: Substring, requireKnownTLD: Bool, allowSingleLabel: Bool) -> String? {
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 || allowSingleLabel, let tld = labels.last, tld.count >= 2,
              tld.allSatisfy({ $0.isASCII && $0.isLetter }),
              labels.allSatisfy({ label in
                  !label.isEmpty && label.first != "-" && label.last != "-"
                      && label.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" }
              }) else { return nil }
        if requireKnownTLD && (labels.count < 2 || !knownTopLevelDomains.contains(tld.lowercased())) { return nil }
        return labels.map { label in
            label.lowercased() == "www" ? "w w w" : pieceWords(label)
        }.joined(separator: " dot ")
    }

    /// Separators inside a name read out ("bob_smith-2" → "bob underscore smith dash 2").
    private static func pieceWords(_ piece: Substring) -> String {
        var out = ""
        for c in piece {
            switch c {
            case ".": out += " dot "
            case "-": out += " dash "
            case "_": out += " underscore "
            case "+": out += " plus "
            case "%": out += " percent "
            case "~": out += " tilde "
            case "=": out += " equals "
            default: out.append(c)
            }
        }
        return out.split(separator: " ").joined(separator: " ")
    }
}
