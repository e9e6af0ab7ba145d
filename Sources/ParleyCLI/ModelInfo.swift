import ArgumentParser
import NPCRuntime

struct ModelInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model-info",
        abstract: "Print a GGUF model's architecture, hyperparameters, tensor types and tokenizer.")

    @Option(name: .shortAndLong, help: "GGUF file (path or bare name)")
    var model: String

    func run() throws {
        let gguf = try GGUFFile(path: resolveModel(model))
        let arch = gguf["general.architecture"]?.stringValue ?? "?"
        print("file: \(gguf.file.path) (\(gguf.file.size) bytes, GGUF v\(gguf.version))")
        print("architecture: \(arch)")
        print("name: \(gguf["general.name"]?.stringValue ?? "?")")
        for (key, value) in gguf.metadata where key.hasPrefix(arch + ".") {
            print("  \(key.dropFirst(arch.count + 1)): \(describe(value))")
        }
        var histogram: [String: (count: Int, bytes: Int)] = [:]
        for t in gguf.tensors {
            let h = histogram[t.type.name, default: (0, 0)]
            histogram[t.type.name] = (h.count + 1, h.bytes + t.byteCount)
        }
        print("tensors: \(gguf.tensors.count)")
        for (name, h) in histogram.sorted(by: { $0.value.bytes > $1.value.bytes }) {
            print("  \(name): \(h.count) tensors, \(h.bytes) bytes")
        }
        printTokenizer(gguf)
        let template = gguf["tokenizer.chat_template"]?.stringValue
        let family = ChatTemplate.detect(template)?.rawValue
            ?? (template == nil ? "none" : "unknown (falls back to \(ChatTemplate.fallback.rawValue))")
        print("chat template: \(family)")
    }

    func printTokenizer(_ gguf: GGUFFile) {
        let tokenizer: Tokenizer
        do {
            tokenizer = try Tokenizer(gguf: gguf)
        } catch {
            print("tokenizer: unusable (\(error.message))")
            return
        }
        func special(_ id: Int32?) -> String {
            guard let id else { return "-" }
            return "\(id) \(tokenizer.tokenText(id)?.debugDescription ?? "")"
        }
        print("tokenizer: \(tokenizer.kind.rawValue) pre=\(tokenizer.preTokenizerName ?? "-") vocab=\(tokenizer.vocabSize)")
        print("  bos: \(special(tokenizer.bos))  eos: \(special(tokenizer.eos))  eot: \(special(tokenizer.eot))")
        print("  unk: \(special(tokenizer.unknown))  pad: \(special(tokenizer.padding))")
        print("  end of generation: \(tokenizer.endOfGeneration.map(special).joined(separator: ", "))")
        print("  add_bos=\(tokenizer.addBOS) add_eos=\(tokenizer.addEOS) add_space_prefix=\(tokenizer.addSpacePrefix)")
    }

    func describe(_ v: GGUFValue) -> String {
        switch v {
        case let .string(s): return s
        case let .array(_, a): return "[\(a.count) items]"
        case let .strings(a): return "[\(a.count) strings]"
        case let .floats(a): return "[\(a.count) floats]"
        case let .ints(a): return "[\(a.count) ints]"
        default:
            if let i = v.intValue { return "\(i)" }
            if let d = v.doubleValue { return "\(d)" }
            return "\(v)"
        }
    }
}
