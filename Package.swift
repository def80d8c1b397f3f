// swift-tools-version:6.1
import PackageDescription

/// One set of settings for every target (as Hummingbird does).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "nox",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "nox", targets: ["nox"]),
        // The CLI: its own small binary, so a workstation can have it without the daemons' code.
        .executable(name: "noxctl", targets: ["noxctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // libsystemd: sd-daemon, sd-journal, sd-bus.
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // The system's OpenSSL libcrypto (Debian ships its security fixes): Ed25519, scrypt, SHA-256, RNG.
        .systemLibrary(name: "CLibcrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(
            name: "NoxIPC",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings,
            // Embeds Interfaces/*.varlink as string constants (`VarlinkInterfaces`): no resource bundle at run time.
            plugins: ["VarlinkInterfacesPlugin"]
        ),
        // Build-time tool of VarlinkInterfacesPlugin: writes the .varlink texts as Swift string constants.
        .executableTarget(name: "VarlinkEmbedTool", path: "Plugins/VarlinkEmbedTool", swiftSettings: swiftSettings),
        .plugin(name: "VarlinkInterfacesPlugin", capability: .buildTool(), dependencies: ["VarlinkEmbedTool"]),
        .target(
            name: "NoxRuntime",
            dependencies: [
                "CSystemd", "CLibcrypto", "NoxIPC",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // The nox-auth daemon: users, roles, tokens, keys, audit.
        .target(
            name: "NoxAuth",
            dependencies: [
                "NoxRuntime", "NoxIPC", "CLibcrypto",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/nox-auth",
            swiftSettings: swiftSettings
        ),
        // libarchive: backups as .tar.gz, read back with its path/symlink/device checks plus ours.
        // Its header is the first to include <sys/stat.h> in NoxFiles, so with MemberImportVisibility
        // the files there that use `struct stat` import CArchive too.
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        // openat2(2) and the O_PATH/O_TMPFILE/RESOLVE_* constants Swift's Glibc module lacks.
        .target(name: "CNoxFiles", path: "Sources/CNoxFiles"),
        // nox-files: per-user sandboxes, resolved beneath a directory descriptor without following symlinks.
        .target(
            name: "NoxFiles",
            dependencies: [
                "CNoxFiles", "CArchive", "NoxRuntime", "NoxIPC",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/nox-files",
            swiftSettings: swiftSettings
        ),
        // nox-exec: languages, the job queue, one transient systemd unit per run, history.
        .target(
            name: "NoxExec",
            dependencies: [
                "CSystemd", "NoxRuntime", "NoxIPC", "NoxFiles",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/nox-exec",
            swiftSettings: swiftSettings
        ),
        // nox-metrics: health, system and per-user metrics, usage statistics, Prometheus, history, live stream.
        .target(
            name: "NoxMetrics",
            dependencies: [
                "CSystemd", "NoxRuntime", "NoxIPC",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Sources/nox-metrics",
            swiftSettings: swiftSettings
        ),
        // One multi-call binary for every daemon and tool, so the static Swift runtime and
        // Foundation's ICU data are shipped once (see README, "Layout on disk").
        .executableTarget(
            name: "nox",
            dependencies: [
                "NoxAuth", "NoxFiles", "NoxExec", "NoxMetrics",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "NoxIPCTests",
            dependencies: ["NoxIPC", .product(name: "InMemoryLogging", package: "swift-log")],
            exclude: ["python"],
            swiftSettings: swiftSettings
        ),
        // Helpers several test targets share (a Unix-socket HTTP client, temporary directories).
        .target(name: "NoxTestSupport", path: "Tests/NoxTestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "NoxRuntimeTests",
            dependencies: [
                "NoxRuntime", "NoxTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "NoxFilesTests",
            dependencies: [
                "NoxFiles", "NoxTestSupport", "NoxRuntime", "CArchive",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "NoxExecTests",
            dependencies: [
                "NoxExec", "NoxTestSupport", "NoxRuntime",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        // libcurl through a few non-variadic wrappers (Swift cannot call curl_easy_setopt's `...`).
        // The system's libcurl (libcurl4-openssl-dev to build, Debian's libcurl4 at run time) rather
        // than swift-nio-ssl: Debian ships its security fixes, it reads the system CA store and a CA
        // file, streams bodies both ways through callbacks (SSE, downloads, uploads with progress),
        // and no BoringSSL is compiled on a 2-core CI.
        .target(name: "CCurl", path: "Sources/CCurl", linkerSettings: [.linkedLibrary("curl")]),
        // SQLite's C API for noxctl backup's online backup (GRDB and TOMLKit import Foundation,
        // whose ICU data would add ~35 MB to the static noxctl: 64 MB stripped with it).
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        // noxctl's code (commands, HTTP client, config, output, host operations), tested by NoxCtlTests.
        // FoundationEssentials only, no Foundation: the static binary stays free of ICU's data.
        .target(
            name: "NoxCtl",
            dependencies: [
                "CCurl", "CArchive", "CLibcrypto", "CSQLite",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/noxctl/NoxCtl",
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "noxctl", dependencies: ["NoxCtl"], path: "Sources/noxctl/Main", swiftSettings: swiftSettings),
        .testTarget(
            name: "NoxCtlTests", dependencies: ["NoxCtl", "CSQLite"], swiftSettings: swiftSettings),
        .testTarget(
            name: "NoxMetricsTests",
            dependencies: [
                "NoxMetrics", "NoxRuntime", "NoxIPC", "NoxTestSupport", "NoxExec",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "NoxAuthTests", dependencies: ["NoxAuth", "NoxIPC", "NoxRuntime", "NoxTestSupport"], swiftSettings: swiftSettings),
    ]
)
