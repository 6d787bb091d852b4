// swift-tools-version:6.1
import PackageDescription

// One settings array for every Swift target (hummingbird does the same).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Chorus",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "chorus", targets: ["chorus"]),
        // For the fuzz package under fuzz/, which depends on this one by path.
        .library(name: "ChorusMedia", targets: ["ChorusMedia"]),
        .library(name: "ChorusWire", targets: ["ChorusWire"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        // Already in the graph through hummingbird; declared because Chorus imports HTTPTypes itself.
        .package(url: "https://github.com/apple/swift-http-types", from: "1.4.0"),
        // Already in the graph through hummingbird; declared because the gateway's connection guard handles
        // NIOHTTPTypes' request and response parts.
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        // The shared database of several replicas (`database: postgres://…`).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // Already in the graph through postgres-nio; declared because the start-up probe builds its TLS context.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // /v1/realtime: the WebSocket client to realtime upstreams (WSClient) and the WebSocket handler (WSCore) on
        // the client's socket, which the gateway's own HTTP channel upgrades with NIO's upgrader.
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.2"),
    ],
    targets: [
        // Bare system-library targets: link + include only. Shims live in one regular C target per consumer
        // (CCurlShims for ChorusUpstream, CMediaShims for ChorusMedia), so neither compiles against the
        // other's headers; CThreadShims includes only pthread.h and serves both.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CFFmpeg", pkgConfig: "libavformat",
                       providers: [.apt(["libavcodec-dev", "libavformat-dev", "libswresample-dev", "libavutil-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .target(name: "CCurlShims", dependencies: ["CCurl"]),
        .target(name: "CThreadShims"),
        // posix_spawn for the gateway's child processes (pdftotext), instead of Foundation's Process.
        .target(name: "CProcessShims"),
        .target(name: "CMediaShims", dependencies: ["CFFmpeg", "CPNG"]),
        .systemLibrary(name: "CEspeak", pkgConfig: "espeak-ng", providers: [.apt(["libespeak-ng-dev", "espeak-ng-data"])]),
        .systemLibrary(name: "CPocketSphinx", pkgConfig: "pocketsphinx",
                       providers: [.apt(["libpocketsphinx-dev", "libsphinxbase-dev", "pocketsphinx-en-us"])]),

        // Wire formats only: no server, no database, so fuzz/ builds it in minutes.
        .target(name: "ChorusWire", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "MultipartKit", package: "multipart-kit"),
        ], swiftSettings: swiftSettings),
        .target(name: "ChorusMedia", dependencies: [
            "CFFmpeg", "CPNG", "CMediaShims", "CThreadShims",
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        .target(name: "ChorusUpstream", dependencies: [
            "CCurl", "CCurlShims", "CThreadShims",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        .target(name: "ChorusEngines", dependencies: [
            "CEspeak", "CPocketSphinx",
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: swiftSettings),
        .target(name: "ChorusGateway", dependencies: [
            "ChorusUpstream", "ChorusMedia", "ChorusEngines", "ChorusWire", "CProcessShims",
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Atomics", package: "swift-atomics"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "WSClient", package: "swift-websocket"),
            .product(name: "WSCore", package: "swift-websocket"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
        ],
        // The web console's static files (/ui), copied next to the executable as Chorus_ChorusGateway.resources.
        resources: [.copy("Console/Assets")],
        swiftSettings: swiftSettings),
        .executableTarget(name: "chorus", dependencies: [
            "ChorusGateway", "ChorusUpstream", "ChorusEngines",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: swiftSettings),

        .testTarget(name: "ChorusUpstreamTests", dependencies: [
            "ChorusUpstream",
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], swiftSettings: swiftSettings),
        .testTarget(name: "ChorusEnginesTests", dependencies: [
            "ChorusEngines",
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ], exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(name: "ChorusMediaTests", dependencies: [
            "ChorusMedia",
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        .testTarget(name: "ChorusWireTests", dependencies: [
            "ChorusWire",
            .product(name: "NIOCore", package: "swift-nio"),
        ], swiftSettings: swiftSettings),
        .testTarget(name: "ChorusGatewayTests", dependencies: [
            "ChorusGateway", "ChorusUpstream", "ChorusEngines", "ChorusWire", "ChorusMedia",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOFoundationCompat", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "WSClient", package: "swift-websocket"),
            .product(name: "WSCore", package: "swift-websocket"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], swiftSettings: swiftSettings),
    ]
)
