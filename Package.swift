// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Forkscope",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "forkscope", targets: ["ForkscopeCLI"]),
        .executable(name: "forkscope-fuzz", targets: ["ForkscopeFuzz"]),
        .library(name: "Forkscope", targets: ["Forkscope"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
        // `forkscope serve`'s HTTP server; without its optional traits (swift-configuration, full Foundation).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
    ],
    targets: [
        // System libraries from Debian packages (installed by scripts/setup).
        .systemLibrary(name: "CCmark", pkgConfig: "libcmark", providers: [.apt(["libcmark-dev"])]),
        .systemLibrary(name: "CLapack", providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // SHA-256 for the analysis cache's keys (OpenSSL's libcrypto).
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),

        // Kernels Swift cannot vectorise for baseline x86-64 (conversions with F16C, exact
        // distances in AVX2), in C with a run-time choice of instruction set.
        .target(name: "CKernels"),

        // Pure numerics: no file I/O, no rendering.
        .target(name: "ForkscopeNumerics", dependencies: ["CLapack", "CKernels"]),
        // The engine: read run -> debias -> project -> measure -> render -> write site.
        .target(
            name: "Forkscope",
            dependencies: [
                "ForkscopeNumerics", "CCmark", "CKernels", "CZlib", "CCrypto",
                .product(name: "Mustache", package: "swift-mustache"),
            ]
        ),
        // `forkscope serve`: the site over HTTP (Hummingbird) with live reload, rebuilt as its inputs change.
        .target(name: "ForkscopeServer", dependencies: ["Forkscope", .product(name: "Hummingbird", package: "hummingbird")]),
        // The command line (swift-argument-parser), in a library so that tests can parse and run it.
        .target(
            name: "ForkscopeCommands",
            dependencies: ["Forkscope", "ForkscopeNumerics", "ForkscopeServer", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // The executable: `ForkscopeCommand.main()`.
        .executableTarget(name: "ForkscopeCLI", dependencies: ["ForkscopeCommands"]),
        // Fuzz targets for the readers (libFuzzer with -DFUZZING, else a replayer): `make fuzz`.
        .executableTarget(name: "ForkscopeFuzz", dependencies: ["Forkscope"]),

        // Test helpers shared by the test targets (one seeded generator, temporary folders, the run
        // writer, fixture paths); a regular target, so it uses only the public API.
        .target(name: "ForkscopeTestSupport", dependencies: ["Forkscope", "ForkscopeNumerics"], path: "Tests/ForkscopeTestSupport"),

        .testTarget(name: "ForkscopeNumericsTests", dependencies: ["ForkscopeNumerics", "ForkscopeTestSupport"]),
        .testTarget(name: "ForkscopeTests", dependencies: ["Forkscope", "ForkscopeNumerics", "ForkscopeTestSupport"]),
        .testTarget(name: "CKernelsTests", dependencies: ["CKernels"]),
        .testTarget(name: "ForkscopeServerTests", dependencies: ["ForkscopeServer", "Forkscope", "ForkscopeTestSupport"]),
        .testTarget(name: "ForkscopeCommandsTests", dependencies: ["ForkscopeCommands", "Forkscope", "ForkscopeTestSupport"]),
    ]
)
