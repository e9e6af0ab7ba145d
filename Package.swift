// swift-tools-version: 6.0
import PackageDescription

// libparley.so: only the C-ABI target carries the linker flags (they follow a
// target into every product that links it; see shared/BUILD-NOTES.md).
// PARLEY_SANITIZER=1 (TSan/ASan runs of the Swift tests) drops `-z defs`: the
// sanitizer runtime is not linked into shared libraries.
let sanitizing = Context.environment["PARLEY_SANITIZER"] == "1"
let soLinkerFlags: [LinkerSetting] = [
    .unsafeFlags([
        "-static-stdlib",
        "-use-ld=lld",
        "-Xlinker", "--version-script=\(Context.packageDirectory)/exports.map",
        "-Xlinker", "-soname=libparley.so",
        "-Xlinker", "-z", "-Xlinker", "nodelete",
    ] + (sanitizing ? [] : ["-Xlinker", "-z", "-Xlinker", "defs"])),
]

// Hot float loops: let SIMD8/SIMD16<Float> lower to AVX2 + FMA in release builds.
// No -Ounchecked: NPCRuntime also parses untrusted input (GGUF, ONNX, JSON,
// snapshots, player text), and the hot loops are C kernels (BENCHMARKS.md:
// decode and voice speed did not move when it was dropped).
let engineSwiftFlags: [SwiftSetting] = [
    .unsafeFlags(["-Xcc", "-march=x86-64-v3", "-target-cpu", "haswell"], .when(configuration: .release)),
]

let package = Package(
    name: "Parley",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "parley", type: .dynamic, targets: ["CAPI"]),
        .executable(name: "parley-cli", targets: ["ParleyCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries (modulemap + shim header).
        .systemLibrary(name: "CLuaJIT", path: "Sources/Shims/CLuaJIT", pkgConfig: "luajit",
                       providers: [.apt(["libluajit-5.1-dev"])]),
        .systemLibrary(name: "COpenAL", path: "Sources/Shims/COpenAL", pkgConfig: "openal",
                       providers: [.apt(["libopenal-dev"])]),
        .systemLibrary(name: "CEspeakNG", path: "Sources/Shims/CEspeakNG"),
        .systemLibrary(name: "CCurl", path: "Sources/Shims/CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),

        // Quantized integer dot products in C (AVX-512 VNNI / AVX2 / scalar, chosen by CPUID).
        // -ffp-contract=off: no implicit multiply-add fusion, so every level computes the
        // same float operations and results are bit-identical across CPUs.
        .target(name: "Kernels", path: "Sources/Kernels",
                cSettings: [.unsafeFlags(["-O3", "-fno-math-errno", "-ffp-contract=off"])]),
        // The voice's direct float convolution, at the engine's CPU level (Kernels' pk_cpu_level);
        // -ffp-contract=off for the same reason as Kernels: the levels must agree bit for bit.
        .target(name: "VoiceKernels", dependencies: ["Kernels"], path: "Sources/VoiceKernels",
                cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off"])]),
        // The public C header, imported by the Swift C-ABI layer so both agree on layouts.
        .target(name: "ParleyABI", path: "Sources/ParleyABI"),

        .target(name: "NPCRuntime", dependencies: ["Kernels", "VoiceKernels", "CEspeakNG", "COpenAL"],
                swiftSettings: engineSwiftFlags),
        // The router and the remote client (libcurl).
        .target(name: "ComputeRouter", dependencies: ["NPCRuntime", "CCurl"]),
        .target(name: "LuaBindings", dependencies: ["NPCRuntime", "ComputeRouter", "Kernels", "CLuaJIT"]),
        .target(name: "CAPI", dependencies: ["NPCRuntime", "Kernels", "ComputeRouter", "LuaBindings", "ParleyABI"],
                linkerSettings: soLinkerFlags),

        // A minimal HTTP/1.1 server on POSIX sockets (`parley serve`, tests' fake servers);
        // no engine dependency, and never linked into libparley.so.
        .target(name: "HTTPServer"),

        .executableTarget(name: "ParleyCLI",
                          dependencies: ["NPCRuntime", "ComputeRouter", "Kernels", "HTTPServer", "LuaBindings",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: engineSwiftFlags),

        .testTarget(name: "NPCRuntimeTests", dependencies: ["NPCRuntime", "Kernels"]),
        .testTarget(name: "ComputeRouterTests", dependencies: ["ComputeRouter", "HTTPServer"]),
        // `parley eval`'s case reader and scorer (pure functions in the executable target).
        .testTarget(name: "ParleyCLITests", dependencies: ["ParleyCLI", "NPCRuntime", "HTTPServer", "ComputeRouter", "LuaBindings"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer"]),
    ]
)

// libFuzzer targets over the parsers (scripts/fuzz builds them with PARLEY_FUZZ=1 and
// -sanitize=fuzzer,address; they are not part of a normal build, whose executables have a main).
if Context.environment["PARLEY_FUZZ"] == "1" {
    package.products.append(.executable(name: "parley-fuzz", targets: ["ParleyFuzz"]))
    package.targets.append(.target(name: "FuzzDriver", path: "Sources/ParleyFuzz/Driver"))
    package.targets.append(.executableTarget(name: "ParleyFuzz", dependencies: ["NPCRuntime", "ComputeRouter", "HTTPServer", "FuzzDriver"],
                                             path: "Sources/ParleyFuzz/Targets"))
}
