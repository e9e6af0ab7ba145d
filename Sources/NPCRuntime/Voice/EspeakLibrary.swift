#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CEspeakNG

/// libespeak-ng, opened with `dlopen` on first use. espeak-ng is GPL-3, so
/// libparley.so never links it: the header module supplies only types and
/// constants, and a host without the library gets a clear error instead of a
/// failed load. espeak keeps all its state in globals and is not thread-safe,
/// so every call goes through `withLibrary`, which holds one process-wide lock.
final class EspeakLibrary: @unchecked Sendable {
    typealias InitializeFn = @convention(c) (espeak_AUDIO_OUTPUT, Int32, UnsafePointer<CChar>?, Int32) -> Int32
    typealias SetVoiceByNameFn = @convention(c) (UnsafePointer<CChar>?) -> espeak_ERROR
    typealias TextToPhonemesFn = @convention(c) (UnsafeMutablePointer<UnsafeRawPointer?>?, Int32, Int32) -> UnsafePointer<CChar>?
    typealias TextToPhonemesWithTerminatorFn = @convention(c) (UnsafeMutablePointer<UnsafeRawPointer?>?, Int32, Int32,
                                                               UnsafeMutablePointer<Int32>?) -> UnsafePointer<CChar>?
    typealias InfoFn = @convention(c) (UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> UnsafePointer<CChar>?

    /// Sonames tried in order: the runtime package's, then the development symlink.
    static let candidateNames = ["libespeak-ng.so.1", "libespeak-ng.so"]
    static let installHint = "install espeak-ng (Debian/Ubuntu: apt install libespeak-ng1 espeak-ng-data), " +
        "or give the voice a phonemizer of your own"

    private static let lock = Lock()
    /// The loaded library, or nil before the first successful load. Only read
    /// or written while `lock` is held.
    nonisolated(unsafe) private static var loaded: EspeakLibrary?

    let textToPhonemes: TextToPhonemesFn
    /// Present from espeak-ng 1.52 on: reports each clause's type directly.
    let textToPhonemesWithTerminator: TextToPhonemesWithTerminatorFn?
    let version: String
    private let setVoiceByName: SetVoiceByNameFn
    private var currentVoice: String?

    private init(textToPhonemes: TextToPhonemesFn, withTerminator: TextToPhonemesWithTerminatorFn?,
                 setVoiceByName: SetVoiceByNameFn, version: String) {
        self.textToPhonemes = textToPhonemes
        self.textToPhonemesWithTerminator = withTerminator
        self.setVoiceByName = setVoiceByName
        self.version = version
    }

    /// Runs `body` with the library loaded, initialised and set to `voice`,
    /// holding the global espeak lock throughout.
    static func withLibrary<T>(voice: String, dataPath: String?,
                               _ body: (EspeakLibrary) throws(RuntimeError) -> T) throws(RuntimeError) -> T {
        try lock.withLock { () throws(RuntimeError) -> T in
            let library: EspeakLibrary
            if let existing = loaded {
                library = existing
            } else {
                library = try load(dataPath: dataPath)
                loaded = library
            }
            try library.select(voice: voice)
            return try body(library)
        }
    }

    /// The library's version string (for example "1.51"), loading it if needed.
    static func version(dataPath: String? = nil) throws(RuntimeError) -> String {
        try lock.withLock { () throws(RuntimeError) -> String in
            if let existing = loaded { return existing.version }
            let library = try load(dataPath: dataPath)
            loaded = library
            return library.version
        }
    }

    private func select(voice: String) throws(RuntimeError) {
        guard voice != currentVoice else { return }
        guard !voice.isEmpty, !voice.utf8.contains(0) else {
            throw RuntimeError(.voice, "invalid espeak-ng voice name \"\(voice)\"")
        }
        let status = voice.withCString { setVoiceByName($0) }
        guard status == EE_OK else {
            throw RuntimeError(.voice, "espeak-ng has no voice \"\(voice)\" (espeak-ng --voices lists them)")
        }
        currentVoice = voice
    }

    /// Opens and initialises the first of `names` that loads. Callers hold `lock`.
    static func load(dataPath: String?, names: [String] = candidateNames) throws(RuntimeError) -> EspeakLibrary {
        var handle: UnsafeMutableRawPointer?
        var reasons: [String] = []
        for name in names {
            handle = dlopen(name, RTLD_NOW | RTLD_LOCAL)
            if handle != nil { break }
            reasons.append(dlerror().map { String(cString: $0) } ?? name)
        }
        guard let handle else {
            throw RuntimeError(.phonemizerUnavailable,
                               "espeak-ng is not available (\(reasons.joined(separator: "; "))): \(installHint)")
        }
        // The handle stays open for the life of the process: espeak's globals live in it.
        func symbol<F>(_ name: String, as type: F.Type) -> F? {
            guard let raw = dlsym(handle, name) else { return nil }
            return unsafeBitCast(raw, to: type)
        }
        guard let initialize = symbol("espeak_Initialize", as: InitializeFn.self),
              let setVoice = symbol("espeak_SetVoiceByName", as: SetVoiceByNameFn.self),
              let toPhonemes = symbol("espeak_TextToPhonemes", as: TextToPhonemesFn.self) else {
            throw RuntimeError(.phonemizerUnavailable, "the loaded libespeak-ng lacks the phoneme API: \(installHint)")
        }
        let withTerminator = symbol("espeak_TextToPhonemesWithTerminator", as: TextToPhonemesWithTerminatorFn.self)

        // DONT_EXIT: a missing data directory must be an error, not exit().
        let options = Int32(espeakINITIALIZE_DONT_EXIT)
        let rate: Int32
        if let dataPath {
            rate = dataPath.withCString { initialize(AUDIO_OUTPUT_RETRIEVAL, 0, $0, options) }
        } else {
            rate = initialize(AUDIO_OUTPUT_RETRIEVAL, 0, nil, options)
        }
        guard rate > 0 else {
            let where_ = dataPath.map { " at \($0)" } ?? ""
            throw RuntimeError(.phonemizerUnavailable,
                               "espeak-ng could not start: its data was not found\(where_) (install espeak-ng-data, or set ESPEAK_DATA_PATH)")
        }
        var version = "unknown"
        if let info = symbol("espeak_Info", as: InfoFn.self), let text = info(nil) {
            version = String(cString: text)
        }
        return EspeakLibrary(textToPhonemes: toPhonemes, withTerminator: withTerminator,
                             setVoiceByName: setVoice, version: version)
    }
}
