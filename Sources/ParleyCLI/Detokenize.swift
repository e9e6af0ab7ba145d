import ArgumentParser
import NPCRuntime

struct Detokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the text of token IDS (special tokens rendered as their text).")

    @Option(name: .shortAndLong, help: "GGUF file (path or bare name)")
    var model: String

    @Argument(help: "Token ids (separated by spaces or commas; a JSON array works)")
    var ids: [String]

    func run() throws {
        let gguf = try GGUFFile(path: resolveModel(model))
        let tokenizer = try Tokenizer(gguf: gguf)
        var parsed: [Int32] = []
        for field in ids.joined(separator: " ").split(whereSeparator: { " ,[]\n\t".contains($0) }) {
            guard let id = Int32(field), id >= 0, Int(id) < tokenizer.vocabSize else {
                throw ValidationError("not a token id of this model: \(field)")
            }
            parsed.append(id)
        }
        print(tokenizer.decode(parsed))
    }
}
