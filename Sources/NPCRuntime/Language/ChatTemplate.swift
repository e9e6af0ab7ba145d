/// Chat formats rendered natively (no Jinja), recognised from the GGUF's
/// `tokenizer.chat_template`. Only the markup is tokenized with special-token
/// parsing on; BOS comes from the tokenizer's add-BOS rule, not from here.
public struct ChatMessage: Sendable, Equatable {
    public enum Role: String, Sendable { case system, user, assistant, tool }
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

    /// Renders the conversation as segments: the format's markup, and message
    /// content that is tokenized with special-token parsing off (a player who types
    /// `<|im_end|>` gets ordinary text tokens). With `addGenerationPrompt`, it ends
    /// with the opening of an assistant turn.
    public func segments(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> [PromptSegment] {
        var out: [PromptSegment] = []
        func markup(_ s: String) { out.append(PromptSegment(s, isMarkup: true)) }
        func content(_ s: String) { if !s.isEmpty { out.append(PromptSegment(s, isMarkup: false)) } }
        switch self {
        case .chatML:
            for m in messages {
                // a tool result is a user turn wrapped in <tool_response>, as Qwen2.5's template has it
                markup("<|im_start|>\(m.role == .tool ? "user" : m.role.rawValue)\n")
                content(m.role == .tool ? "<tool_response>\n" + m.content + "\n</tool_response>" : m.content)
                markup("<|im_end|>\n")
            }
            if addGenerationPrompt { markup("<|im_start|>assistant\n") }
        case .gemma:
            // no system or tool role: system text opens the next user turn, a tool result is a user turn
            var pendingSystem: String?
            func userTurn(_ text: String) {
                markup("<start_of_turn>user\n")
                if let s = pendingSystem { content(s + "\n\n") }
                pendingSystem = nil
                content(text)
                markup("<end_of_turn>\n")
            }
            for m in messages {
                switch m.role {
                case .system: pendingSystem = pendingSystem.map { $0 + "\n\n" + m.content } ?? m.content
                case .user: userTurn(m.content)
                case .tool: userTurn("Result: " + m.content)
                case .assistant:
                    markup("<start_of_turn>model\n")
                    content(m.content)
                    markup("<end_of_turn>\n")
                }
            }
            if let s = pendingSystem {
                pendingSystem = nil
                markup("<start_of_turn>user\n")
                content(s)
                markup("<end_of_turn>\n")
            }
            if addGenerationPrompt { markup("<start_of_turn>model\n") }
        case .llama3:
            for m in messages {
                markup("<|start_header_id|>\(m.role == .tool ? "ipython" : m.role.rawValue)<|end_header_id|>\n\n")
                content(m.content)
                markup("<|eot_id|>")
            }
            if addGenerationPrompt { markup("<|start_header_id|>assistant<|end_header_id|>\n\n") }
        }
        return out
    }

    /// The rendered conversation as one string (for display and tests).
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> String {
        segments(messages, addGenerationPrompt: addGenerationPrompt).map(\.text).joined()
    }
}

/// A piece of a rendered prompt: the chat format's own markup (special tokens
/// parsed) or text from a message (special tokens never parsed).
public struct PromptSegment: Sendable, Equatable {
    public var text: String
    public var isMarkup: Bool
    public init(_ text: String, isMarkup: Bool) {
        self.text = text
        self.isMarkup = isMarkup
    }
}
