import Foundation
@testable import NPCRuntime

/// Where tests find the peers' reference outputs and the real model files.
enum TestPaths {
    /// Package root, from this file's location (Tests/NPCRuntimeTests/TestPaths.swift).
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// $PARLEY_REFERENCE, else ../shared/reference beside the package.
    static let reference: String = {
        if let env = ProcessInfo.processInfo.environment["PARLEY_REFERENCE"], !env.isEmpty { return env }
        return URL(fileURLWithPath: packageRoot).deletingLastPathComponent()
            .appendingPathComponent("shared/reference").path
    }()

    static func referenceFile(_ relative: String) -> String { reference + "/" + relative }

    /// A real model file by bare name, found by the library's own rule; nil if absent.
    static func model(_ name: String) -> String? {
        FileManager.default.changeCurrentDirectoryPath(packageRoot)
        return try? ModelLocator.resolve(name)
    }

    /// CI sets PARLEY_REQUIRE_MODELS=1: then a missing model fails instead of skipping.
    static let requireModels = ProcessInfo.processInfo.environment["PARLEY_REQUIRE_MODELS"] == "1"

    /// True when the model is present, or when it is required (so the test runs and fails loudly).
    static func hasModel(_ name: String) -> Bool { requireModels || model(name) != nil }
    static func hasReference(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: referenceFile(relative))
    }

    static func loadJSON(_ path: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func loadFloats(_ path: String) throws -> [Float] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
}
