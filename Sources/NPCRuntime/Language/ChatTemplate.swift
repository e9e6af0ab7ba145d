/// Chat formats rendered natively (no Jinja), recognised from the GGUF's
/// `tokenizer.chat_template`. The rendered text is tokenized with special-token
/// parsing on; BOS comes from the tokenizer's add-BOS rule, not from here.
public struct ChatMessage: Sendable, Equatable {
    public enum Role: String, Sendable { case system, user, assistant }
    public var role: Role
    public var content: String
    public init(_ role: Role, _ content: String) {
        self.role = role
        self.content = content
    }
}

public enum ChatTemplate: String, Sendable, CaseIterable {
    case chatML = "chatml"     // SmolLM2, Qwen2.5
    case gemma = "gemma"       // Gemma 2/3: no system role, system text goes into the first user turn
    case llama3 = "llama3"

    /// The family of a Jinja template; nil when it is not one we know (callers
    /// fall back to `fallback` and warn).
    public static func detect(_ template: String?) -> ChatTemplate? {
        guard let t = template else { return nil }
        if t.contains("<|im_start|>") { return .chatML }
        if t.contains("<start_of_turn>") { return .gemma }
        if t.contains("<|start_header_id|>") { return .llama3 }
        return nil
    }

    /// Used when a model's template is unknown or missing.
    public static let fallback = ChatTemplate.chatML

    /// Text that ends the assistant's turn in this format.
    public var endOfTurn: String {
        switch self {
        case .chatML: return "<|im_end|>"
        case .gemma: return "<end_of_turn>"
        case .llama3: return "<|eot_id|>"
        }
    }

    /// Renders the conversation; with `addGenerationPrompt`, ends with the
    /// opening of an assistant turn.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> String {
        var out = ""
        switch self {
        case .chatML:
            for m in messages { out += "<|im_start|>\(m.role.rawValue)\n\(m.content)<|im_end|>\n" }
            if addGenerationPrompt { out += "<|im_start|>assistant\n" }
        case .gemma:
            var pendingSystem: String?
            for m in messages {
                switch m.role {
                case .system:
                    pendingSystem = pendingSystem.map { $0 + "\n\n" + m.content } ?? m.content
                case .user:
                    let text = pendingSystem.map { $0 + "\n\n" + m.content } ?? m.content
                    pendingSystem = nil
                    out += "<start_of_turn>user\n\(text)<end_of_turn>\n"
                case .assistant:
                    out += "<start_of_turn>model\n\(m.content)<end_of_turn>\n"
                }
            }
            if let s = pendingSystem { out += "<start_of_turn>user\n\(s)<end_of_turn>\n" }
            if addGenerationPrompt { out += "<start_of_turn>model\n" }
        case .llama3:
            for m in messages {
                out += "<|start_header_id|>\(m.role.rawValue)<|end_header_id|>\n\n\(m.content)<|eot_id|>"
            }
            if addGenerationPrompt { out += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        }
        return out
    }
}
