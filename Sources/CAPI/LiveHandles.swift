// Which handles are alive. Translation-layer bookkeeping only.
import NPCRuntime
import ParleyABI

/// Every runtime and NPC handle given out and not yet destroyed. Entry points look a
/// handle up here before touching it, so a destroyed or made-up pointer gets
/// PARLEY_ERR_INVALID_ARGUMENT (and a second destroy does nothing) instead of reading
/// freed memory. A destroyed handle whose address a newer handle has since taken
/// cannot be told from the newer one, so the header still says never to use a
/// handle after destroying it.
enum LiveHandles {
    private static let lock = Lock()
    nonisolated(unsafe) private static var runtimes: Set<UnsafeRawPointer> = []
    nonisolated(unsafe) private static var npcs: Set<UnsafeRawPointer> = []

    static func added(runtime p: UnsafeRawPointer) { lock.withLock { _ = runtimes.insert(p) } }
    static func added(npc p: UnsafeRawPointer) { lock.withLock { _ = npcs.insert(p) } }
    /// true when `p` was live (and is now gone): only then may its owner release it.
    static func removed(runtime p: UnsafeRawPointer) -> Bool { lock.withLock { runtimes.remove(p) != nil } }
    static func removed(npc p: UnsafeRawPointer) -> Bool { lock.withLock { npcs.remove(p) != nil } }
    static func isLive(runtime p: UnsafeRawPointer) -> Bool { lock.withLock { runtimes.contains(p) } }
    static func isLive(npc p: UnsafeRawPointer) -> Bool { lock.withLock { npcs.contains(p) } }
}

/// The message for a handle that is not (or no longer) one of ours.
func notLive(_ function: String, _ what: String) -> parley_status {
    fail(PARLEY_ERR_INVALID_ARGUMENT, "\(cName(function)): \(what) is not a live handle (destroyed, or never created)")
}

/// The C name of an entry point from its `#function` ("parley_npc_say(_:_:_:)").
func cName(_ function: String) -> String {
    function.split(separator: "(").first.map(String.init) ?? function
}
