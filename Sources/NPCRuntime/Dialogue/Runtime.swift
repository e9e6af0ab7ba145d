/// What a game creates once: the loaded dialogue model and voice (memory-mapped,
/// shared by every NPC) and the event queue the game drains each frame.
public struct RuntimeConfig: Sendable {
    public var modelPath: String?
    public var voicePath: String?
    public var threads: Int = 0
    public var contextLength: Int = 0
    public var seed: UInt64 = 0
    public init(modelPath: String? = nil, voicePath: String? = nil) {
        self.modelPath = modelPath
        self.voicePath = voicePath
    }
}

public final class Runtime: @unchecked Sendable {
    public let config: RuntimeConfig
    public let events = EventQueue()
    public let model: GGUFFile?
    public let voiceFiles: (onnx: String, config: String)?

    public init(config: RuntimeConfig) throws(RuntimeError) {
        self.config = config
        if let name = config.modelPath {
            model = try GGUFFile(path: ModelLocator.resolve(name))
        } else {
            model = nil
        }
        if let name = config.voicePath {
            let onnx = try ModelLocator.resolve(name)
            let json = onnx + ".json"
            guard ModelLocator.exists(json) else {
                throw RuntimeError(.fileNotFound, "\(json): voice config missing (Piper voices come as .onnx + .onnx.json)")
            }
            voiceFiles = (onnx, json)
        } else {
            voiceFiles = nil
        }
    }
}
