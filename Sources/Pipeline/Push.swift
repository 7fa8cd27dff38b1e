/// One ref update git-receive-pack hands the pre-receive hook: `<old> <new> <ref>` on stdin.
public struct Push: Sendable, Equatable {
    public var oldCommit: String
    public var newCommit: String
    public var ref: String

    public init(oldCommit: String, newCommit: String, ref: String) {
        self.oldCommit = oldCommit
        self.newCommit = newCommit
        self.ref = ref
    }

    /// Parses the hook's stdin; malformed lines are skipped.
    public static func parse(_ text: String) -> [Push] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count == 3, fields[0].count >= 40, fields[1].count >= 40 else { return nil }
            return Push(oldCommit: String(fields[0]), newCommit: String(fields[1]), ref: String(fields[2]))
        }
    }

    /// All zeros: the ref was deleted.
    public var isDeletion: Bool { newCommit.allSatisfy { $0 == "0" } }

    /// `main` for `refs/heads/main`.
    public var branch: String? { ref.hasPrefix("refs/heads/") ? String(ref.dropFirst("refs/heads/".count)) : nil }
}
