import Testing
@testable import NPCRuntime

@Suite struct StageDirectionsTests {
    @Test func removesDirectionsFromSpeech() {
        #expect(StageDirections.spoken("It's said he was buried at sea... (laughs) Who knows?") == "It's said he was buried at sea... Who knows?")
        #expect(StageDirections.spoken("*sighs* Fine. [pauses] Five silver.") == "Fine. Five silver.")
        #expect(StageDirections.spoken("(pauses)") == "")
        #expect(StageDirections.spoken("No directions here.") == "No directions here.")
        #expect(StageDirections.spoken("An unclosed (aside that runs on") == "An unclosed")
    }
}
