import Testing
@testable import NPCRuntime

@Suite struct ChatTemplateTests {
    let conversation = [ChatMessage(.system, "You are Mara."), ChatMessage(.user, "Hello!"),
                        ChatMessage(.assistant, "Welcome."), ChatMessage(.user, "A room?")]

    @Test func detectsFamilies() {
        #expect(ChatTemplate.detect("{{ '<|im_start|>' + message['role'] }}") == .chatML)
        #expect(ChatTemplate.detect("{{ '<start_of_turn>' + role }}") == .gemma)
        #expect(ChatTemplate.detect("<|start_header_id|>") == .llama3)
        #expect(ChatTemplate.detect("{{ messages }}") == nil)
        #expect(ChatTemplate.detect(nil) == nil)
    }

    @Test func rendersChatMLLikeTheReferencePrompt() {
        // shared/reference/llm/smollm2…json greedy[0].prompt has exactly this shape.
        let text = ChatTemplate.chatML.render([ChatMessage(.system, "You are Mara, the innkeeper of the Drowned Lantern."),
                                               ChatMessage(.user, "Good evening! Do you have a room?")])
        #expect(text == "<|im_start|>system\nYou are Mara, the innkeeper of the Drowned Lantern.<|im_end|>\n<|im_start|>user\nGood evening! Do you have a room?<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test func gemmaFoldsSystemIntoFirstUserTurn() {
        #expect(ChatTemplate.gemma.render(conversation) ==
            "<start_of_turn>user\nYou are Mara.\n\nHello!<end_of_turn>\n<start_of_turn>model\nWelcome.<end_of_turn>\n<start_of_turn>user\nA room?<end_of_turn>\n<start_of_turn>model\n")
    }

    @Test func rendersLlama3() {
        #expect(ChatTemplate.llama3.render([ChatMessage(.user, "Hi")]) ==
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
    }
}
