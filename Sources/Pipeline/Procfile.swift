/// A Heroku-style Procfile: `type: command` lines; `#` comments and blank lines are ignored.
struct Procfile: Equatable {
    var processes: [String: String]

    init(parsing text: String, file: String = "Procfile") throws(PipelineError) {
        var processes: [String: String] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw .manifest(file: "\(file):\(index + 1)", problem: "expected `type: command`, e.g. `web: python3 app.py`")
            }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let command = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            guard DeploymentName.isValid(name), !command.isEmpty else {
                throw .manifest(file: "\(file):\(index + 1)", problem: "`\(name)` needs a lower-case name and a command")
            }
            processes[name] = command
        }
        self.processes = processes
    }
}

/// Deployment names as the database allows them.
enum DeploymentName {
    static func isValid(_ name: String) -> Bool {
        guard let first = name.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first), name.utf8.count <= 39 else { return false }
        return name.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
    }
}

extension String {
    func trimmingCharacters(in set: Set<Character>) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}

extension Substring {
    func trimmingCharacters(in set: Set<Character>) -> String { String(self).trimmingCharacters(in: set) }
}

extension Set where Element == Character {
    static let whitespaces: Set<Character> = [" ", "\t", "\r"]
}
