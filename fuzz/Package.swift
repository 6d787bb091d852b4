// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets for everything in Chorus that parses caller bytes. A package of its own, built only by
// `fuzz/run` (with -sanitize=fuzzer,address), so the normal build and test run do not get slower.
//
// The code under test comes from the main package as products: ChorusWire (JSON, base64 payloads, multipart forms)
// and ChorusMedia (audio, images). Neither depends on the server, so the fuzz build compiles neither Hummingbird
// nor GRDB and stays short enough to run in CI.
let package = Package(
    name: "ChorusFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Chorus", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(name: "CFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzer"]),
        .executableTarget(name: "FuzzJSON", dependencies: [
            "FuzzSupport",
            .product(name: "ChorusWire", package: "Chorus"),
        ]),
        .executableTarget(name: "FuzzMultipart", dependencies: [
            "FuzzSupport",
            .product(name: "ChorusWire", package: "Chorus"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .executableTarget(name: "FuzzVoiceSample", dependencies: [
            "FuzzSupport",
            .product(name: "ChorusWire", package: "Chorus"),
            .product(name: "ChorusMedia", package: "Chorus"),
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
