// swift-tools-version:6.1
// PaaSTech Cloud: one Swift package, one multi-call executable `paastech`.
// Linux only; every C dependency comes from Debian through pkg-config.
import PackageDescription

/// A system-library target: `Sources/<name>/module.modulemap` + `shim.h`.
func systemLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(name: name, pkgConfig: pkgConfig, providers: [.apt([apt])])
}

let package = Package(
    name: "paastech",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "paastech", targets: ["paastech"]),
        // PID 1 of every sandbox: tiny C, so that a sandbox starts in about a millisecond.
        .executable(name: "paastech-init", targets: ["paastech-init"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.3.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.0"),
    ],
    targets: [
        // C libraries from Debian.
        systemLibrary("CPostgres", pkgConfig: "libpq", apt: "libpq-dev"),
        systemLibrary("CSSH", pkgConfig: "libssh", apt: "libssh-dev"),
        systemLibrary("CGit2", pkgConfig: "libgit2", apt: "libgit2-dev"),
        systemLibrary("CSeccomp", pkgConfig: "libseccomp", apt: "libseccomp-dev"),
        systemLibrary("CSystemd", pkgConfig: "libsystemd", apt: "libsystemd-dev"),
        systemLibrary("COpenSSL", pkgConfig: "libcrypto", apt: "libssl-dev"),

        // Build tool: embeds SQL migrations, the OpenAPI document and templates in the binary.
        .executableTarget(name: "embed-files", path: "Plugins/EmbedFilesTool"),
        .plugin(name: "EmbedFiles", capability: .buildTool(), dependencies: ["embed-files"]),

        // One library per concern.
        .target(name: "PlatformConfig", dependencies: [
            .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
        .target(name: "Systemd", dependencies: [
            "CSystemd",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
        ]),
        .target(name: "Postgres", dependencies: [
            "CPostgres",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Store", dependencies: [
            "Postgres", "Credentials",
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["Embedded"], plugins: ["EmbedFiles"]),
        .target(name: "Credentials", dependencies: ["COpenSSL"]),
        .target(name: "Mail", dependencies: [
            "Systemd",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "API", dependencies: [
            "PlatformConfig", "Systemd", "Postgres", "Store", "Credentials", "Mail", "RepoManagerRPC", "PomegranateRPC", "Pipeline",
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOFoundationCompat", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ], exclude: ["Embedded"], plugins: ["EmbedFiles"]),
        .target(name: "DevPlatform", dependencies: [
            "PlatformConfig", "Systemd", "Postgres", "Store",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),

        // Pomegranate: sandboxes. The child side of spawning is one small C file.
        .target(name: "CSpawn"),
        .executableTarget(name: "paastech-init", linkerSettings: [.unsafeFlags(["-static-executable"])]),
        .target(name: "Seccomp", dependencies: ["CSeccomp", "Systemd"]),
        .target(name: "Cgroups", dependencies: ["Systemd",
            .product(name: "Logging", package: "swift-log")]),
        .target(name: "Networking", dependencies: ["Systemd",
            .product(name: "Logging", package: "swift-log")]),
        .target(name: "Sandbox", dependencies: ["CSpawn", "Seccomp", "Cgroups", "Networking", "Systemd",
            .product(name: "Logging", package: "swift-log")]),

        // gRPC between services: code generated from Protos/ by scripts/generate-grpc.sh, committed.
        .target(name: "PomegranateRPC", dependencies: [
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),
        .target(name: "RepoManagerRPC", dependencies: [
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),

        // Pomegranate: supervision of instances and builds, their logs, live restore, and its gRPC service.
        .target(name: "Pomegranate", dependencies: [
            "Sandbox", "PomegranateRPC", "PlatformConfig", "Systemd",
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),

        // Git push: the SSH server, and the typed client of the API's internal socket it (and the pipeline) use.
        .target(name: "InternalAPIClient", dependencies: [
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "GitServer", dependencies: [
            "CSSH", "Systemd", "PlatformConfig", "Credentials", "InternalAPIClient",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // Bare repositories (libgit2): create/delete/inspect, hooks, export of a commit's tree; its gRPC service.
        .target(name: "RepoManager", dependencies: [
            "CGit2", "RepoManagerRPC", "PlatformConfig", "Systemd",
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // The deploy pipeline: detection, build, release, deploy, health check, switch, retire.
        .target(name: "Pipeline", dependencies: [
            "PomegranateRPC", "RepoManager", "InternalAPIClient", "PlatformConfig",
            .product(name: "TOMLKit", package: "TOMLKit"),
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // ACME (RFC 8555) client: account, orders, HTTP-01 challenges, certificates; on swift-crypto and swift-certificates.
        .target(name: "ACME", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOFoundationCompat", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // The edge: reverse proxy and load balancer on 80/443, TLS termination, certificates, the route table.
        .target(name: "Edge", dependencies: [
            "ACME", "PomegranateRPC", "PlatformConfig", "Systemd", "InternalAPIClient",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTP2", package: "swift-nio-http2"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // Backup and restore: pg_dump/pg_restore and tar of the state directories; a restore redeploys through the pipeline.
        .target(name: "Backup", dependencies: ["PlatformConfig", "Systemd", "Postgres", "Store", "Pipeline", "PomegranateRPC"]),

        // The web console: server-rendered pages from API calls (templates, stylesheet and script embedded).
        .target(name: "WebConsole", dependencies: [
            "PlatformConfig", "Systemd",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOFoundationCompat", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["Embedded"], plugins: ["EmbedFiles"]),

        // The one executable: thin subcommands that assemble services from the libraries.
        .executableTarget(name: "paastech", dependencies: [
            "PlatformConfig", "Systemd", "Postgres", "Store", "Credentials", "API", "DevPlatform", "Sandbox",
            "Pomegranate", "PomegranateRPC", "Cgroups", "GitServer", "InternalAPIClient", "RepoManager", "RepoManagerRPC", "Pipeline", "Edge", "ACME", "WebConsole",
            "Backup",
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOFoundationCompat", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        .testTarget(name: "PlatformConfigTests", dependencies: ["PlatformConfig"]),
        .testTarget(name: "SystemdTests", dependencies: ["Systemd",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]),
        .testTarget(name: "CredentialsTests", dependencies: ["Credentials", "Systemd"]),
        .testTarget(name: "MailTests", dependencies: ["Mail"]),
        .testTarget(name: "SeccompTests", dependencies: ["Seccomp", "CSeccomp"]),
        .testTarget(name: "CgroupsTests", dependencies: ["Cgroups", "Systemd"]),
        .testTarget(name: "NetworkingTests", dependencies: ["Networking", "Systemd"]),
        .testTarget(name: "SandboxTests", dependencies: ["Sandbox", "Seccomp", "Cgroups", "Networking", "Systemd"]),
        .testTarget(name: "PomegranateTests", dependencies: ["Pomegranate", "Sandbox", "PomegranateRPC", "Systemd", "Cgroups",
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOPosix", package: "swift-nio")]),
        .testTarget(name: "GitServerTests", dependencies: ["GitServer", "InternalAPIClient", "RepoManager", "RepoManagerRPC", "Pipeline", "API", "Store", "Postgres", "DevPlatform",
            "PlatformConfig", "Credentials", "Systemd",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]),
        .testTarget(name: "RepoManagerTests", dependencies: ["RepoManager", "RepoManagerRPC", "Systemd",
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline"]),
        .testTarget(name: "BackupTests", dependencies: ["Backup", "PlatformConfig"]),
        // A real pebble (ACME test server) for the ACME and edge tests.
        .target(name: "PebbleTestSupport", dependencies: ["ACME", "Systemd",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio")], path: "Tests/PebbleTestSupport"),
        .testTarget(name: "ACMETests", dependencies: ["ACME", "Systemd", "PebbleTestSupport",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "AsyncHTTPClient", package: "async-http-client")]),
        .testTarget(name: "EdgeTests", dependencies: ["Edge", "ACME", "PebbleTestSupport", "PomegranateRPC", "PlatformConfig", "Systemd",
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "NativeLibrariesTests", dependencies: ["CPostgres", "CSSH", "CGit2", "CSeccomp", "CSystemd", "COpenSSL"]),
        // Runs the built `paastech` binary (make test builds it first).
        .testTarget(name: "IntegrationTests", dependencies: ["DevPlatform", "Postgres", "Systemd", "PomegranateRPC",
            .product(name: "GRPCCore", package: "grpc-swift-2")]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "DevPlatform"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "Postgres", "DevPlatform"]),
        .testTarget(name: "APITests", dependencies: ["API", "Store", "Postgres", "DevPlatform", "PlatformConfig", "Credentials", "Systemd",
            "RepoManager",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"), "Systemd"]),
    ]
)
