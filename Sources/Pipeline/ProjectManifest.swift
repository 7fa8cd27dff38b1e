import Foundation
import TOMLKit

/// A repository's root `paastech.toml`: one `[deployments.NAME]` table per deployment.
///
/// ```toml
/// [deployments.web]
/// path = "frontend"          # subdirectory (default: the root)
/// build = "npm run build"    # shell, in /app of the build sandbox (default: detected)
/// run = "node server.js"     # shell, in /app (default: Procfile / detected)
/// port = 8080
/// instances = 2
/// memory = "512M"            # or a number of MiB
/// cpu = 0.5
/// healthcheck = "/health"
/// egress = true
/// worker = false             # a worker serves no HTTP: healthy if it stays up
/// sleep_after = "15m"        # stop after this long without requests; the next one wakes it ("30s", "2h")
/// max_body = "50M"           # the largest request body ("512K", "1G"; default: the edge's)
/// ```
struct ProjectManifest {
    struct Deployment: Equatable {
        var path = ""
        var build: String?
        var run: String?
        var port: Int?
        var instances: Int?
        var memoryMiB: Int?
        var cpu: Double?
        var healthCheck: String?
        var egress: Bool?
        var worker: Bool?
        var sleepAfterSeconds: Int?
        var maxBodyBytes: Int?
    }

    var deployments: [(name: String, deployment: Deployment)]

    static let file = "paastech.toml"
    static let keys: Set<String> = ["path", "build", "run", "port", "instances", "memory", "cpu", "healthcheck", "egress", "worker",
                                    "sleep_after", "max_body"]

    static func load(path: String) throws(PipelineError) -> ProjectManifest {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw .manifest(file: file, problem: "cannot be read as UTF-8")
        }
        return try parse(text)
    }

    static func parse(_ text: String) throws(PipelineError) -> ProjectManifest {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw .manifest(file: "\(file):\(error.source.begin.line)", problem: error.description)
        } catch {
            throw .manifest(file: file, problem: "\(error)")
        }
        for key in table.keys where key != "deployments" {
            throw .manifest(file: file, problem: "unknown key `\(key)`: only [deployments.NAME] tables are read")
        }
        guard let deploymentTables = table["deployments"]?.table, !deploymentTables.isEmpty else {
            throw .manifest(file: file, problem: "declare at least one [deployments.NAME] table")
        }
        var deployments: [(String, Deployment)] = []
        for (name, value) in deploymentTables.sorted(by: { $0.0 < $1.0 }) {
            let where_ = "[deployments.\(name)]"
            guard DeploymentName.isValid(name) else {
                throw .manifest(file: file, problem: "\(where_): names are a-z, 0-9 and -, starting with a letter, at most 39")
            }
            guard let fields = value.table else { throw .manifest(file: file, problem: "\(where_) must be a table") }
            for key in fields.keys where !keys.contains(key) {
                throw .manifest(file: file, problem: "\(where_): unknown key `\(key)` (known: \(keys.sorted().joined(separator: ", ")))")
            }
            var deployment = Deployment()
            func string(_ key: String) throws(PipelineError) -> String? {
                guard let value = fields[key] else { return nil }
                guard let text = value.string, !text.isEmpty else { throw .manifest(file: file, problem: "\(where_) \(key): expected a non-empty string") }
                return text
            }
            func integer(_ key: String, _ range: ClosedRange<Int>) throws(PipelineError) -> Int? {
                guard let value = fields[key] else { return nil }
                guard let number = value.int, range.contains(number) else {
                    throw .manifest(file: file, problem: "\(where_) \(key): expected an integer from \(range.lowerBound) to \(range.upperBound)")
                }
                return number
            }
            if let path = try string("path") {
                let parts = path.split(separator: "/")
                guard !path.hasPrefix("/"), !parts.contains(".."), !parts.contains(".") else {
                    throw .manifest(file: file, problem: "\(where_) path: a relative subdirectory without . or .., got \"\(path)\"")
                }
                deployment.path = parts.joined(separator: "/")
            }
            deployment.build = try string("build")
            deployment.run = try string("run")
            deployment.port = try integer("port", 1...65535)
            deployment.instances = try integer("instances", 0...64)
            if let memory = fields["memory"] {
                guard let mebibytes = memory.int ?? memory.string.flatMap(Self.mebibytes(of:)), (16...65536).contains(mebibytes) else {
                    throw .manifest(file: file, problem: "\(where_) memory: expected MiB (256) or a size (\"512M\", \"1G\") from 16M to 64G")
                }
                deployment.memoryMiB = mebibytes
            }
            if let cpu = fields["cpu"] {
                guard let cores = cpu.double ?? cpu.int.map(Double.init), cores > 0, cores <= 64 else {
                    throw .manifest(file: file, problem: "\(where_) cpu: expected cores, e.g. 0.5 or 2")
                }
                deployment.cpu = cores
            }
            if let healthCheck = try string("healthcheck") {
                guard healthCheck.hasPrefix("/"), !healthCheck.contains(where: { $0 == " " || $0 == "\n" }) else {
                    throw .manifest(file: file, problem: "\(where_) healthcheck: a path starting with /, e.g. \"/health\"")
                }
                deployment.healthCheck = healthCheck
            }
            for key in ["egress", "worker"] where fields[key] != nil && fields[key]?.bool == nil {
                throw .manifest(file: file, problem: "\(where_) \(key): expected true or false")
            }
            deployment.egress = fields["egress"]?.bool
            deployment.worker = fields["worker"]?.bool
            if let sleepAfter = fields["sleep_after"] {
                guard let seconds = sleepAfter.string.flatMap(Self.seconds(of:)), (1...30 * 86400).contains(seconds) else {
                    throw .manifest(file: file, problem: "\(where_) sleep_after: expected a duration (\"30s\", \"15m\", \"2h\") of at most 30 days")
                }
                guard deployment.worker != true else {
                    throw .manifest(file: file, problem: "\(where_) sleep_after: a worker gets no requests to wake it")
                }
                deployment.sleepAfterSeconds = seconds
            }
            if let maxBody = fields["max_body"] {
                guard let bytes = maxBody.string.flatMap(Self.bytes(of:)), (1024...(16 << 30)).contains(bytes) else {
                    throw .manifest(file: file, problem: "\(where_) max_body: expected a size (\"512K\", \"50M\", \"1G\") from 1K to 16G")
                }
                deployment.maxBodyBytes = bytes
            }
            deployments.append((name, deployment))
        }
        return ProjectManifest(deployments: deployments)
    }

    /// "512M", "1G", "256Mi" → MiB.
    static func mebibytes(of text: String) -> Int? {
        let upper = text.uppercased().replacingOccurrences(of: "IB", with: "").replacingOccurrences(of: "B", with: "")
        guard let unit = upper.last, let number = Int(upper.dropLast()) else { return Int(upper) }
        switch unit {
        case "M": return number
        case "G": return number * 1024
        default: return nil
        }
    }

    /// "30s", "15m", "2h" → seconds.
    static func seconds(of text: String) -> Int? {
        guard let unit = text.last, let number = Int(text.dropLast()), number >= 0 else { return nil }
        switch unit {
        case "s": return number
        case "m": return number.multipliedReportingOverflow(by: 60).overflow ? nil : number * 60
        case "h": return number.multipliedReportingOverflow(by: 3600).overflow ? nil : number * 3600
        default: return nil
        }
    }

    /// "512K", "50M", "1G" (also "50MB", "50MiB") → bytes.
    static func bytes(of text: String) -> Int? {
        let upper = text.uppercased().replacingOccurrences(of: "IB", with: "").replacingOccurrences(of: "B", with: "")
        guard let unit = upper.last, let number = Int(upper.dropLast()), number >= 0, number < 1 << 40 else { return nil }
        switch unit {
        case "K": return number << 10
        case "M": return number << 20
        case "G": return number << 30
        default: return nil
        }
    }

    func deployments(root: String) throws(PipelineError) -> [DetectedDeployment] {
        var detected: [DetectedDeployment] = []
        for (name, declared) in deployments {
            detected.append(try Detector.detectOne(name: name, root: root, path: declared.path, declared: declared))
        }
        return detected
    }
}
