/// What went wrong, in the categories a host can act on. The C layer maps each
/// kind to a `parley_status`; engines throw their own typed errors and describe
/// themselves through `ParleyErrorConvertible`.
public enum ErrorKind: Sendable, Equatable {
    case invalidArgument
    case invalidState
    case fileNotFound
    case io
    case badModel
    case unsupportedModel
    case voice
    case phonemizerUnavailable
    case network
    case remote
    case script
    case toolRejected
    /// No audio output: the device could not be opened or was lost (speech still flows as events).
    case audioDevice
    case outOfMemory
    case internalError
    /// Not a failure: a turn ended because it was cancelled (or barged in on).
    case cancelled
}

public protocol ParleyErrorConvertible: Error {
    var kind: ErrorKind { get }
    var message: String { get }
}

/// A general error for paths that have no engine-specific type.
public struct RuntimeError: ParleyErrorConvertible, CustomStringConvertible {
    public let kind: ErrorKind
    public let message: String
    public init(_ kind: ErrorKind, _ message: String) {
        self.kind = kind
        self.message = message
    }
    public var description: String { message }
}

extension Error {
    /// Kind and message for any error, so callers never need to downcast.
    public var parleyKind: ErrorKind { (self as? ParleyErrorConvertible)?.kind ?? .internalError }
    public var parleyMessage: String { (self as? ParleyErrorConvertible)?.message ?? "\(self)" }
}
