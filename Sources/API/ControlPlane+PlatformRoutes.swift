import Foundation
import Glibc
import Hummingbird
import NIOCore
import NIOPosix
import PlatformConfig

/// The admin's view of the platform: each service's health, the version, the host's memory and disk, and
/// how many sandboxes run.
extension ControlPlane {
    func addPlatformRoutes(to admin: RouterGroup<APIRequestContext>) {
        admin.get("platform") { _, context in
            _ = try context.requireAdmin()
            return try await platformStatus()
        }
    }

    func platformStatus() async throws -> PlatformStatusBody {
        let paths = configuration.paths
        var services: [PlatformStatusBody.Service] = [.init(name: "api", status: "ok", detail: "answering this request")]
        do {
            try await store.database.ping()
            services.append(.init(name: "database", status: "ok", detail: "PostgreSQL answers"))
        } catch {
            services.append(.init(name: "database", status: "unreachable", detail: "\(error)"))
        }
        var sandboxes = 0
        do {
            let deployments = try await agents.allStatuses()
            sandboxes = deployments.reduce(0) { $0 + $1.instances.filter { $0.state == .running }.count }
            services.append(.init(name: "pomegranate", status: "ok", detail: "\(deployments.count) deployment(s), \(sandboxes) running instance(s)"))
        } catch {
            services.append(.init(name: "pomegranate", status: "unreachable", detail: "\(error)"))
        }
        let probes: [(String, SocketAddress?)] = [
            ("repo-manager", try? SocketAddress(unixDomainSocketPath: paths.repoManagerSocket)),
            ("edge", try? SocketAddress(unixDomainSocketPath: paths.edgeSocket)),
            ("gitd", Self.loopbackAddress(of: configuration.git.listen)),
            ("web", Self.loopbackAddress(of: configuration.web.listen)),
        ]
        for (name, address) in probes {
            let accepted = await Self.accepts(address)
            services.append(.init(name: name, status: accepted ? "ok" : "unreachable",
                                  detail: accepted ? "accepts connections" : "does not accept connections at \(address.map { "\($0)" } ?? "?")"))
        }
        return PlatformStatusBody(version: PlatformVersion.current, services: services, host: .current(stateDirectory: paths.stateDirectory),
                                  sandboxes: sandboxes)
    }

    /// `0.0.0.0:2222` → `127.0.0.1:2222` (where this host reaches a service listening on every address).
    static func loopbackAddress(of listen: String) -> SocketAddress? {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else { return nil }
        var host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if host == "0.0.0.0" || host.isEmpty { host = "127.0.0.1" }
        if host == "::" { host = "::1" }
        return try? SocketAddress(ipAddress: host, port: port)
    }

    static func accepts(_ address: SocketAddress?) async -> Bool {
        guard let address else { return false }
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connectTimeout(.seconds(2))
                .connect(to: address).get()
            try? await channel.close()
            return true
        } catch {
            return false
        }
    }
}

struct PlatformStatusBody: ResponseCodable {
    struct Service: Codable, Sendable {
        var name: String
        /// `ok` or `unreachable`.
        var status: String
        var detail: String
    }

    struct Host: Codable, Sendable {
        var memoryTotalBytes: Int64
        var memoryAvailableBytes: Int64
        var diskTotalBytes: Int64
        var diskFreeBytes: Int64
        var loadAverage: [Double]
        var uptimeSeconds: Int64
        enum CodingKeys: String, CodingKey {
            case memoryTotalBytes = "memory_total_bytes", memoryAvailableBytes = "memory_available_bytes",
                 diskTotalBytes = "disk_total_bytes", diskFreeBytes = "disk_free_bytes", loadAverage = "load_average",
                 uptimeSeconds = "uptime_seconds"
        }

        /// From /proc/meminfo, /proc/loadavg, /proc/uptime and the file system of the state directory.
        static func current(stateDirectory: String) -> Host {
            let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
            func kibibytes(_ key: String) -> Int64 {
                guard let line = meminfo.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return 0 }
                return (Int64(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
            }
            var disk = statvfs()
            let measured = statvfs(stateDirectory, &disk) == 0
            let load = ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "").split(separator: " ").prefix(3).compactMap { Double($0) }
            let uptime = ((try? String(contentsOfFile: "/proc/uptime", encoding: .utf8)) ?? "").split(separator: " ").first.flatMap { Double($0) } ?? 0
            return Host(memoryTotalBytes: kibibytes("MemTotal"), memoryAvailableBytes: kibibytes("MemAvailable"),
                        diskTotalBytes: measured ? Int64(disk.f_blocks) * Int64(disk.f_frsize) : 0,
                        diskFreeBytes: measured ? Int64(disk.f_bavail) * Int64(disk.f_frsize) : 0,
                        loadAverage: load, uptimeSeconds: Int64(uptime))
        }
    }

    var version: String
    var services: [Service]
    var host: Host
    /// Running app instances (each a sandbox).
    var sandboxes: Int
}
