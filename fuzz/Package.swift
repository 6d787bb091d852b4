// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets for everything in Chorus that parses caller bytes. A package of its own, built only by
// `fuzz/run` (with -sanitize=fuzzer,address), so the normal build and test run do not get slower.
//
// ChorusMedia comes from the main package. The gateway's parsers (JSON, multipart, voice samples) are compiled
// from the main package's own files through symlinks in Sources/Fuzz*/: those files import nothing of the server,
// so the fuzz build needs neither Hummingbird nor GRDB and stays short enough to run in CI.
let package = Package(
    name: "ChorusFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Chorus", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
    ],
    targets: [
        .target(name: "CFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzer"]),
        .executableTarget(name: "FuzzJSON", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "FuzzMultipart", dependencies: [
            "FuzzSupport",
            .product(name: "MultipartKit", package: "multipart-kit"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        .executableTarget(name: "FuzzVoiceSample", dependencies: [
            "FuzzSupport",
            .product(name: "ChorusMedia", package: "Chorus"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "FuzzAudio", dependencies: [
            "FuzzSupport",
            .product(name: "ChorusMedia", package: "Chorus"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "FuzzImage", dependencies: [
            "FuzzSupport", "CFuzzer",
            .product(name: "ChorusMedia", package: "Chorus"),
        ]),
    ]
)
