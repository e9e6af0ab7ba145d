#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One rule for the library and the CLI: a name with a slash, or one that exists
/// as given, is a path; otherwise look in $PARLEY_MODELS, then ./models.
public enum ModelLocator {
    public static func searchDirectories() -> [String] {
        var dirs: [String] = []
        if let env = getenv("PARLEY_MODELS"), env.pointee != 0 { dirs.append(String(cString: env)) }
        dirs.append("models")
        return dirs
    }

    public static func resolve(_ name: String) throws(RuntimeError) -> String {
        guard !name.isEmpty else { throw RuntimeError(.invalidArgument, "empty model path") }
        if name.contains("/") || exists(name) {
            guard exists(name) else { throw RuntimeError(.fileNotFound, "\(name): no such file") }
            return name
        }
        let dirs = searchDirectories()
        for dir in dirs {
            let candidate = dir.hasSuffix("/") ? dir + name : dir + "/" + name
            if exists(candidate) { return candidate }
        }
        throw RuntimeError(.fileNotFound,
                           "\(name): not found in \(dirs.joined(separator: ", ")) (run scripts/fetch-models, or pass a path)")
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }
}
