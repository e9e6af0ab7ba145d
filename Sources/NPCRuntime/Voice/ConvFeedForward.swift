/// The text encoder's feed-forward block: conv (kernel 3) → ReLU → conv (kernel 3).
struct ConvFeedForward {
    let expand: Conv1d
    let project: Conv1d

    /// x (channels, T) → y (channels, T); `hidden` holds (filterChannels, T).
    func forward(_ x: FeatureMap, into y: FeatureMap, hidden: FeatureMap, workspace: VoiceWorkspace) {
        expand.forward(x, into: hidden, workspace: workspace)
        VectorMath.relu(hidden.data, count: hidden.count)
        project.forward(hidden, into: y, workspace: workspace)
    }
}
