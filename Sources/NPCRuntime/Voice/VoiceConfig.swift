/// A Piper voice's `.onnx.json`: what the phonemizer, the id mapper and the
/// VITS model need besides the weights. Read with the project's own JSON
/// parser; every field is checked before use.
public struct VoiceConfig: Sendable {
    /// How the voice's phonemes were produced when it was trained.
    public enum PhonemeType: String, Sendable {
        case espeak
        case text
    }

    /// Output sample rate in Hz (`audio.sample_rate`).
    public var sampleRate: Int
    /// espeak-ng voice name (`espeak.voice`, e.g. "en-us"); empty for text voices.
    public var espeakVoice: String
    /// Default synthesis scales (`inference`); Piper's defaults when absent.
    public var noiseScale: Float
    public var lengthScale: Float
    public var noiseW: Float
    public var phonemeType: PhonemeType
    /// Phoneme (one Unicode scalar as a string, or a special symbol) → model ids.
    public var phonemeIDMap: [String: [Int]]
    /// Size of the model's symbol embedding; every id is below it.
    public var numSymbols: Int
    public var numSpeakers: Int
    /// Speaker name → speaker id (empty for single-speaker voices).
    public var speakerIDMap: [String: Int]
    /// Language code such as "en_US" (`language.code`), empty if absent.
    public var languageCode: String

    /// Piper's inference defaults, used when the file has no `inference` block.
    public static let defaultNoiseScale: Float = 0.667
    public static let defaultLengthScale: Float = 1.0
    public static let defaultNoiseW: Float = 0.8

    public init(sampleRate: Int, espeakVoice: String, noiseScale: Float = defaultNoiseScale,
                lengthScale: Float = defaultLengthScale, noiseW: Float = defaultNoiseW,
                phonemeType: PhonemeType = .espeak, phonemeIDMap: [String: [Int]], numSymbols: Int,
                numSpeakers: Int = 1, speakerIDMap: [String: Int] = [:], languageCode: String = "") {
        self.sampleRate = sampleRate
        self.espeakVoice = espeakVoice
        self.noiseScale = noiseScale
        self.lengthScale = lengthScale
        self.noiseW = noiseW
        self.phonemeType = phonemeType
        self.phonemeIDMap = phonemeIDMap
        self.numSymbols = numSymbols
        self.numSpeakers = numSpeakers
        self.speakerIDMap = speakerIDMap
        self.languageCode = languageCode
    }

    /// Reads `path` (a voice's `.onnx.json`).
    public init(path: String) throws(RuntimeError) {
        let bytes = try readSmallFile(path, limit: 16 << 20)
        do {
            try self.init(json: bytes)
        } catch {
            throw RuntimeError(.voice, "\(path): \(error.message)")
        }
    }

    /// Parses the JSON text of a voice config.
    public init(json bytes: [UInt8]) throws(RuntimeError) {
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            throw RuntimeError(.voice, "voice config is not valid JSON: \(error.message)")
        }
        guard root.objectValue != nil else { throw Self.bad("the top level is not an object") }

        guard let rate = root["audio"]?["sample_rate"]?.intValue else {
            throw Self.bad("missing integer audio.sample_rate")
        }
        guard rate >= 1000 && rate <= 384_000 else { throw Self.bad("audio.sample_rate \(rate) is out of range") }

        let type: PhonemeType
        if let t = root["phoneme_type"] {
            guard let name = t.stringValue, let known = PhonemeType(rawValue: name) else {
                throw Self.bad("unsupported phoneme_type \(t.serialized)")
            }
            type = known
        } else {
            type = .espeak
        }

        var voice = ""
        if let v = root["espeak"]?["voice"] {
            guard let name = v.stringValue, !name.isEmpty else { throw Self.bad("espeak.voice is not a non-empty string") }
            voice = name
        } else if type == .espeak {
            throw Self.bad("missing espeak.voice")
        }

        guard let symbols = root["num_symbols"]?.intValue else { throw Self.bad("missing integer num_symbols") }
        guard symbols > 0 && symbols <= 1 << 20 else { throw Self.bad("num_symbols \(symbols) is out of range") }

        guard let mapMembers = root["phoneme_id_map"]?.objectValue else {
            throw Self.bad("missing object phoneme_id_map")
        }
        var map: [String: [Int]] = [:]
        map.reserveCapacity(mapMembers.count)
        for (phoneme, value) in mapMembers {
            guard !phoneme.isEmpty else { throw Self.bad("phoneme_id_map has an empty key") }
            guard let items = value.arrayValue, !items.isEmpty else {
                throw Self.bad("phoneme_id_map[\"\(phoneme)\"] is not a non-empty array")
            }
            var ids: [Int] = []
            for item in items {
                guard let id = item.intValue, id >= 0, id < symbols else {
                    throw Self.bad("phoneme_id_map[\"\(phoneme)\"] has \(item.serialized), not an id below num_symbols \(symbols)")
                }
                ids.append(id)
            }
            map[phoneme] = ids
        }
        for special in [PhonemeIDMapper.pad, PhonemeIDMapper.bos, PhonemeIDMapper.eos] where map[special] == nil {
            throw Self.bad("phoneme_id_map has no \"\(special)\" symbol")
        }

        let speakers = try root["num_speakers"].map { v throws(RuntimeError) -> Int in
            guard let n = v.intValue, n >= 1, n <= 1 << 20 else { throw Self.bad("num_speakers \(v.serialized) is out of range") }
            return n
        } ?? 1

        var speakerMap: [String: Int] = [:]
        if let members = root["speaker_id_map"] {
            guard let entries = members.objectValue else { throw Self.bad("speaker_id_map is not an object") }
            for (name, value) in entries {
                guard let id = value.intValue, id >= 0, id < speakers else {
                    throw Self.bad("speaker_id_map[\"\(name)\"] is not an id below num_speakers \(speakers)")
                }
                speakerMap[name] = id
            }
        }

        let inference = root["inference"]
        let noise = try Self.scale(inference?["noise_scale"], "inference.noise_scale", Self.defaultNoiseScale)
        let length = try Self.scale(inference?["length_scale"], "inference.length_scale", Self.defaultLengthScale)
        let noiseW = try Self.scale(inference?["noise_w"], "inference.noise_w", Self.defaultNoiseW)
        guard length > 0 else { throw Self.bad("inference.length_scale must be positive") }

        self.init(sampleRate: rate, espeakVoice: voice, noiseScale: noise, lengthScale: length, noiseW: noiseW,
                  phonemeType: type, phonemeIDMap: map, numSymbols: symbols, numSpeakers: speakers,
                  speakerIDMap: speakerMap, languageCode: root["language"]?["code"]?.stringValue ?? "")
    }

    private static func scale(_ value: JSONValue?, _ name: String, _ fallback: Float) throws(RuntimeError) -> Float {
        guard let value else { return fallback }
        guard let d = value.doubleValue, d.isFinite, d >= 0, d <= 100 else {
            throw bad("\(name) \(value.serialized) is not a number in 0...100")
        }
        return Float(d)
    }

    private static func bad(_ reason: String) -> RuntimeError {
        RuntimeError(.voice, "bad voice config: \(reason)")
    }
}
