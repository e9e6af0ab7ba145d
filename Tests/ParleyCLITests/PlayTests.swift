import Foundation
import Testing
import LuaBindings
@testable import ParleyCLI

/// `parley play` / `parley test` without models: the Lua bridge with games written in
/// the test (bad ones must fail with a message, never crash), the golden file reader,
/// the per-expectation checks and the PCM decoding.
@Suite struct PlayTests {
    func writeGame(_ source: String) throws -> String {
        let dir = NSTemporaryDirectory() + "parley-play-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try source.write(toFile: dir + "/main.lua", atomically: true, encoding: .utf8)
        return dir
    }

    @Test func callsTheGameAndCopiesValuesOut() throws {
        let dir = try writeGame("""
            local options = ...
            local game = { said = {} }
            function game:command(line) self.said[#self.said + 1] = line; return line ~= "quit" end
            function game:drain() return { { kind = "text", npc = options.who, text = "hi" }, { kind = "audio", pcm = "\\0\\0\\128\\63" } } end
            function game:nested() local t = {}; t.self = t; return t end
            return game
            """)
        let game = try LuaGame(mainScript: dir + "/main.lua", options: ["who": .text("Brom")])
        #expect(try game.call("command", [.text("look")]) == .bool(true))
        #expect(try game.call("command", [.text("quit")]) == .bool(false))
        let records = try game.call("drain").items
        #expect(records.count == 2)
        #expect(records.first?["npc"]?.stringValue == "Brom" && records.first?["text"]?.stringValue == "hi")
        guard case let .string(pcm)? = records.last?["pcm"] else { Issue.record("pcm is not a string"); return }
        #expect(PlaySession.floats(pcm) == [1.0])
        // a table that holds itself is cut at the depth limit, not followed forever
        #expect(try game.call("nested")["self"]?["self"] != nil)
    }

    @Test func badGamesFailWithMessages() throws {
        let cases: [(String, String)] = [
            ("return {", "unexpected symbol"),
            ("error('boom')", "boom"),
            ("return 42", "must return the game"),
        ]
        for (source, needle) in cases {
            let dir = try writeGame(source)
            #expect(throws: (any Error).self) { _ = try LuaGame(mainScript: dir + "/main.lua", options: [:]) }
            do { _ = try LuaGame(mainScript: dir + "/main.lua", options: [:]) } catch {
                #expect(error.message.contains(needle), "\(error.message)")
            }
        }
        let missing = NSTemporaryDirectory() + "no-such-game-\(UUID().uuidString)/main.lua"
        #expect(throws: (any Error).self) { _ = try LuaGame(mainScript: missing, options: [:]) }
        let dir = try writeGame("return { command = function() error('a designer typo') end }")
        let game = try LuaGame(mainScript: dir + "/main.lua", options: [:])
        do { _ = try game.call("command", [.text("x")]); Issue.record("no error") } catch {
            #expect(error.message.contains("a designer typo"))
        }
        do { _ = try game.call("no_such_method"); Issue.record("no error") } catch {
            #expect(error.message.contains("has no method no_such_method"))
        }
    }

    @Test func readsGoldenConversations() throws {
        let dir = try writeGame("return {}")
        let path = dir + "/golden.jsonl"
        try """
            {"game": ".", "model": "m.gguf", "seed": 3}
            # a comment
            {"player": "go forge"}
            {"player": "give ore to brom", "expect": {"tool": {"name": "complete_quest", "arguments": {"quest": "ore"}}, "all_of": [["sword"]], "route": ["authored", "local"]}}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let g = try GoldenConversation.load(path: path)
        #expect(g.gameDir == URL(fileURLWithPath: dir).standardized.path && g.model == "m.gguf" && g.seed == 3)
        #expect(g.steps.count == 2 && g.steps[0].expect == nil && g.steps[1].line == 4)
        #expect(g.steps[1].routes == ["authored", "local"])
        // a path relative to the working directory, one level deep
        let cwd = FileManager.default.currentDirectoryPath
        defer { FileManager.default.changeCurrentDirectoryPath(cwd) }
        FileManager.default.changeCurrentDirectoryPath(URL(fileURLWithPath: dir).deletingLastPathComponent().path)
        let relative = try GoldenConversation.load(path: URL(fileURLWithPath: dir).lastPathComponent + "/golden.jsonl")
        #expect(relative.gameDir == g.gameDir, "\(relative.gameDir)")
        for bad in ["{\"player\": \"x\"}", "{\"game\": \".\"}\n{\"player\": 5}", "{\"game\": \".\"}\n{\"player\": \"x\", \"expect\": {\"route\": 5}}", "{\"game\": \".\", \"seed\": -1}"] {
            try bad.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(throws: (any Error).self) { _ = try GoldenConversation.load(path: path) }
        }
    }

    @Test func checksEachExpectation() throws {
        var e = EvalExpectation()
        e.tool = .call(name: "complete_quest", arguments: .object([("quest", .string("ore"))]))
        e.allOf = [["sword"], ["gold"]]
        e.noneOf = ["free"]
        let step = GoldenConversation.Step(line: 1, player: "give ore to brom", expect: e, routes: ["authored"])
        var outcome = PlaySession.Outcome()
        outcome.spoke = true
        outcome.reply = "Good ore. Here is your sword."
        outcome.route = "authored"
        outcome.tools = [("complete_quest", #"{"quest":"ore"}"#)]
        let results = Test.check(step, outcome)
        let failed = results.filter { $0.1 != nil }.map(\.0)
        #expect(results.count == 6)
        #expect(failed == ["says one of [\"gold\"]"])
        outcome.route = "local"
        outcome.tools = []
        let again = Test.check(step, outcome).filter { $0.1 != nil }.map(\.0)
        #expect(again.contains("route authored") && again.contains { $0.hasPrefix("hook complete_quest") })
    }
}
