// The C ABI: translation only. Handles, status codes, event payload lifetimes.
import NPCRuntime
import ParleyABI
#if canImport(Glibc)
import Glibc
#endif

let versionString: StaticString = "0.6.0"

@_cdecl("parley_version")
public func parley_version() -> UnsafePointer<CChar> {
    UnsafeRawPointer(versionString.utf8Start).assumingMemoryBound(to: CChar.self)
}

@_cdecl("parley_api_version")
public func parley_api_version() -> UInt32 {
    UInt32(PARLEY_API_VERSION_MAJOR << 16 | PARLEY_API_VERSION_MINOR << 8 | PARLEY_API_VERSION_PATCH)
}

@_cdecl("parley_status_string")
public func parley_status_string(_ status: parley_status) -> UnsafePointer<CChar> {
    let name: StaticString
    switch status {
    case PARLEY_OK: name = "PARLEY_OK"
    case PARLEY_NO_EVENT: name = "PARLEY_NO_EVENT"
    case PARLEY_CANCELLED: name = "PARLEY_CANCELLED"
    case PARLEY_ERR_INVALID_ARGUMENT: name = "PARLEY_ERR_INVALID_ARGUMENT"
    case PARLEY_ERR_BUFFER_TOO_SMALL: name = "PARLEY_ERR_BUFFER_TOO_SMALL"
    case PARLEY_ERR_INVALID_STATE: name = "PARLEY_ERR_INVALID_STATE"
    case PARLEY_ERR_STRUCT_SIZE: name = "PARLEY_ERR_STRUCT_SIZE"
    case PARLEY_ERR_FILE_NOT_FOUND: name = "PARLEY_ERR_FILE_NOT_FOUND"
    case PARLEY_ERR_IO: name = "PARLEY_ERR_IO"
    case PARLEY_ERR_BAD_MODEL: name = "PARLEY_ERR_BAD_MODEL"
    case PARLEY_ERR_UNSUPPORTED_MODEL: name = "PARLEY_ERR_UNSUPPORTED_MODEL"
    case PARLEY_ERR_VOICE: name = "PARLEY_ERR_VOICE"
    case PARLEY_ERR_PHONEMIZER_UNAVAILABLE: name = "PARLEY_ERR_PHONEMIZER_UNAVAILABLE"
    case PARLEY_ERR_NETWORK: name = "PARLEY_ERR_NETWORK"
    case PARLEY_ERR_REMOTE: name = "PARLEY_ERR_REMOTE"
    case PARLEY_ERR_SCRIPT: name = "PARLEY_ERR_SCRIPT"
    case PARLEY_ERR_TOOL_REJECTED: name = "PARLEY_ERR_TOOL_REJECTED"
    case PARLEY_ERR_AUDIO_DEVICE: name = "PARLEY_ERR_AUDIO_DEVICE"
    case PARLEY_ERR_UNSUPPORTED_CPU: name = "PARLEY_ERR_UNSUPPORTED_CPU"
    case PARLEY_ERR_OUT_OF_MEMORY: name = "PARLEY_ERR_OUT_OF_MEMORY"
    case PARLEY_ERR_INTERNAL: name = "PARLEY_ERR_INTERNAL"
    default: name = "PARLEY_UNKNOWN_STATUS"
    }
    return UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)
}

@_cdecl("parley_last_error")
public func parley_last_error() -> UnsafePointer<CChar> {
    pabi_last_error()
}

func status(for kind: ErrorKind) -> parley_status {
    switch kind {
    case .invalidArgument: return PARLEY_ERR_INVALID_ARGUMENT
    case .invalidState: return PARLEY_ERR_INVALID_STATE
    case .fileNotFound: return PARLEY_ERR_FILE_NOT_FOUND
    case .io: return PARLEY_ERR_IO
    case .badModel: return PARLEY_ERR_BAD_MODEL
    case .unsupportedModel: return PARLEY_ERR_UNSUPPORTED_MODEL
    case .voice: return PARLEY_ERR_VOICE
    case .phonemizerUnavailable: return PARLEY_ERR_PHONEMIZER_UNAVAILABLE
    case .network: return PARLEY_ERR_NETWORK
    case .remote: return PARLEY_ERR_REMOTE
    case .script: return PARLEY_ERR_SCRIPT
    case .toolRejected: return PARLEY_ERR_TOOL_REJECTED
    case .audioDevice: return PARLEY_ERR_AUDIO_DEVICE
    case .outOfMemory: return PARLEY_ERR_OUT_OF_MEMORY
    case .internalError: return PARLEY_ERR_INTERNAL
    case .cancelled: return PARLEY_CANCELLED
    }
}

/// Records the message for parley_last_error() and returns the status to hand back.
func fail(_ status: parley_status, _ message: String) -> parley_status {
    message.withCString { pabi_set_last_error($0) }
    return status
}

func fail(_ error: any Error) -> parley_status {
    fail(status(for: error.parleyKind), error.parleyMessage)
}
