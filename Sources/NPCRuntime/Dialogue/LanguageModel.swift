/// A loaded dialogue model: the mmap'd GGUF, its transformer, tokenizer and chat
/// format. Shared by every NPC; one forward pass at a time (the runtime's model
/// worker is the only caller).
public final class LanguageModel: @unchecked Sendable {
    public let gguf: GGUFFile
    public let transformer: Transformer
    public let tokenizer: Tokenizer
    public let template: ChatTemplate
    /// False when the GGUF's template is missing or unknown and `template` is the fallback.
    public let templateRecognised: Bool
    public let contextLength: Int
    public let stopTokens: Set<Int32>

    public init(path: String, threads: Int, contextLength: Int) throws(RuntimeError) {
        gguf = try GGUFFile(path: path)
        do {
            tokenizer = try Tokenizer(gguf: gguf)
        } catch {
            throw RuntimeError(error.kind, "\(path): \(error.message)")
        }
        let ctx = contextLength > 0 ? contextLength : 2048
        let config = try ModelConfig(gguf: gguf)
        self.contextLength = min(ctx, config.trainedContext)
        transformer = try Transformer(gguf: gguf, threads: threads, maxContext: self.contextLength)
        let detected = ChatTemplate.detect(gguf["tokenizer.chat_template"]?.stringValue)
        template = detected ?? ChatTemplate.fallback
        templateRecognised = detected != nil
        var stops = Set(tokenizer.endOfGeneration)
        if let id = tokenizer.tokenID(template.endOfTurn) { stops.insert(id) }
        stopTokens = stops
    }

    /// Tokens of a rendered conversation (BOS per the model's metadata). Special
    /// tokens come only from the chat format's markup, never from message text.
    public func tokenize(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> [Int32] {
        tokenizer.encode(segments: template.segments(messages, addGenerationPrompt: addGenerationPrompt), addSpecial: true)
    }
}
