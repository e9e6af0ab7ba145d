import ArgumentParser
import NPCRuntime

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the token ids of TEXT as one JSON array.")

    @Option(name: .shortAndLong, help: "GGUF file (path or bare name)")
    var model: String

    @Flag(name: .customLong("add-special"), help: "Add BOS/EOS as the model's metadata asks.")
    var addSpecial = false

    @Flag(name: .customLong("no-parse-special"), help: "Tokenize special-token text (<|im_start|>) as plain text.")
    var noParseSpecial = false

    @Argument(help: "Text to tokenize")
    var text: String

    func run() throws {
        let gguf = try GGUFFile(path: resolveModel(model))
        let tokenizer = try Tokenizer(gguf: gguf)
        let ids = tokenizer.encode(text, addSpecial: addSpecial, parseSpecial: !noParseSpecial)
        print("[" + ids.map(String.init).joined(separator: ",") + "]")
    }
}
