// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// whisper.cpp's static libraries, built by scripts/build-whispercpp.sh (part of `make setup`).
let whisperCppLibraries = Context.packageDirectory + "/.build/whispercpp/install/lib"

let package = Package(
    name: "Earshot",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "earshot", targets: ["earshot"]),
        .executable(name: "earshot-bench", targets: ["earshot-bench"]),
        .library(name: "EarshotCore", targets: ["EarshotCore"]),
        .library(name: "EarshotStore", targets: ["EarshotStore"]),
        .library(name: "EarshotServer", targets: ["EarshotServer"]),
        .library(name: "EarshotClient", targets: ["EarshotClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .target(name: "EarshotCore", dependencies: [.product(name: "Yams", package: "Yams")], swiftSettings: strict),
        .target(
            name: "EarshotStore",
            dependencies: [
                "EarshotCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "EarshotAudio",
            dependencies: ["EarshotCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "EarshotEngine",
            dependencies: [
                "EarshotCore", "EarshotAudio",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            resources: [.copy("Python/faster_whisper_worker.py")],
            swiftSettings: strict
        ),
        .systemLibrary(name: "CWhisperCpp", path: "Sources/CWhisperCpp"),
        .target(
            name: "EarshotWhisperCpp",
            dependencies: [
                "CWhisperCpp", "EarshotCore", "EarshotAudio", "EarshotEngine",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict,
            linkerSettings: [
                // Static archives resolve left to right: whisper needs ggml, which needs ggml-cpu and ggml-base.
                .unsafeFlags(["-L\(whisperCppLibraries)", "-lwhisper", "-lggml", "-lggml-cpu", "-lggml-base", "-lgomp", "-lstdc++"])
            ]
        ),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        .target(
            name: "EarshotDiarization",
            dependencies: [
                "COpenBLAS", "EarshotCore", "EarshotAudio", "EarshotEngine",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Test conversations, RTTM and DER scoring: shared by the tests and the benchmark, kept out of
        // what the server links.
        .target(name: "EarshotDiarizationEvaluation", dependencies: ["EarshotDiarization"], swiftSettings: strict),
        .target(
            name: "EarshotClient",
            dependencies: [
                "EarshotCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "WSClient", package: "swift-websocket"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "EarshotNode",
            dependencies: [
                "EarshotCore", "EarshotStore", "EarshotAudio", "EarshotEngine", "EarshotClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "EarshotServer",
            dependencies: [
                "EarshotCore", "EarshotStore", "EarshotAudio", "EarshotEngine", "EarshotNode", "EarshotWhisperCpp", "EarshotDiarization",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            resources: [.copy("openapi.yaml"), .copy("Web/templates"), .copy("Web/static")],
            swiftSettings: strict
        ),
        .target(
            name: "EarshotNodeStatus",
            dependencies: [
                "EarshotCore", "EarshotNode", "EarshotClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "earshot",
            dependencies: [
                "EarshotCore", "EarshotStore", "EarshotEngine", "EarshotNode", "EarshotServer", "EarshotClient",
                "EarshotNodeStatus", "EarshotAudio", "EarshotWhisperCpp", "EarshotDiarization",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "earshot-bench",
            dependencies: [
                "EarshotCore", "EarshotStore", "EarshotNode", "EarshotServer", "EarshotClient",
                "EarshotDiarization", "EarshotDiarizationEvaluation",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "bench/Coordinator",
            swiftSettings: strict
        ),
        .testTarget(name: "EarshotCoreTests", dependencies: ["EarshotCore"], swiftSettings: strict),
        .testTarget(name: "EarshotAudioTests", dependencies: ["EarshotAudio"], swiftSettings: strict),
        .testTarget(
            name: "EarshotDiarizationTests",
            dependencies: ["EarshotDiarization", "EarshotDiarizationEvaluation", "EarshotCore"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EarshotStoreTests",
            dependencies: [
                "EarshotCore", "EarshotStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EarshotServerTests",
            dependencies: [
                "EarshotCore", "EarshotServer", "EarshotStore", "EarshotNode", "EarshotNodeStatus", "EarshotClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EarshotEndToEndTests",
            dependencies: [
                "EarshotCore", "EarshotServer", "EarshotStore", "EarshotClient", "EarshotNode", "EarshotEngine", "EarshotAudio",
                "EarshotWhisperCpp", "EarshotDiarizationEvaluation",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "WSClient", package: "swift-websocket"),
            ],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
