/// The chat format a model was trained on, recognised from its GGUF
/// `tokenizer.chat_template` by the markers each format uses.
public enum ChatTemplateFamily: String, Sendable {
    case chatML = "ChatML"
    case gemma = "Gemma"
    case llama3 = "Llama 3"
    case unknown

    public init(template: String?) {
        guard let template else { self = .unknown; return }
        if template.contains("<|im_start|>") {
            self = .chatML
        } else if template.contains("<start_of_turn>") {
            self = .gemma
        } else if template.contains("<|start_header_id|>") {
            self = .llama3
        } else {
            self = .unknown
        }
    }

    public init(gguf: GGUFFile) {
        self.init(template: gguf["tokenizer.chat_template"]?.stringValue)
    }
}
