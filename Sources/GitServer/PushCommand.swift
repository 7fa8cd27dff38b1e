/// What a client asked the server to run, reduced to the one thing it may run: `git-receive-pack` on
/// `<owner>/<project>.git`. Everything else becomes a ``Refusal`` whose message the client sees.
///
/// Accepted spellings (git quotes the path; a `ssh://` URL gives a leading `/`, an scp-style one does not):
/// `git-receive-pack 'alice/site.git'`, `git-receive-pack '/alice/site.git'`, `git-receive-pack alice/site`.
struct PushCommand: Sendable, Equatable {
    /// The username in the path; the pusher must be this user.
    let owner: String
    /// The project name in the path.
    let project: String

    /// Parses an `exec` request's command.
    /// - Returns: The push target, or the refusal to send back.
    static func parse(_ command: String) -> Result<PushCommand, Refusal> {
        let (program, argument) = split(command)
        switch program {
        case "git-receive-pack":
            break
        case "git-upload-pack", "git-upload-archive":
            return .failure(.fetchNotAvailable(program))
        case "":
            return .failure(.shell)
        default:
            return .failure(.commandNotAllowed(program))
        }
        guard let path = unquote(argument) else { return .failure(.invalidPath(argument)) }
        var trimmed = Substring(path)
        if trimmed.hasPrefix("/") { trimmed = trimmed.dropFirst() }
        if trimmed.hasSuffix(".git") { trimmed = trimmed.dropLast(4) }
        let components = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        guard components.count == 2, isValidName(components[0]), isValidName(components[1]) else {
            return .failure(.invalidPath(path))
        }
        return .success(PushCommand(owner: String(components[0]), project: String(components[1])))
    }

    /// `program rest`: the first word and everything after the spaces that follow it.
    private static func split(_ command: String) -> (program: String, argument: String) {
        let trimmed = command.drop { $0 == " " }
        guard let space = trimmed.firstIndex(of: " ") else { return (String(trimmed), "") }
        return (String(trimmed[..<space]), String(trimmed[space...].drop { $0 == " " }))
    }

    /// The path without git's single quotes; nil when quoting is unbalanced or the path holds quotes, spaces
    /// or control characters (a valid `owner/project.git` never does).
    private static func unquote(_ argument: String) -> String? {
        var path = Substring(argument)
        if path.hasPrefix("'") {
            guard path.count >= 2, path.hasSuffix("'") else { return nil }
            path = path.dropFirst().dropLast()
        }
        let forbidden: Set<Character> = ["'", "\"", "\\", " ", "\t"]
        guard !path.isEmpty, !path.contains(where: { forbidden.contains($0) || $0.isNewline || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7f } == true })
        else { return nil }
        return String(path)
    }

    /// Store.Validation.name's rule for usernames and project names: `[a-z][a-z0-9-]{0,38}`. Repeated here
    /// (GitServer does not depend on Store); a name the store would refuse cannot name a repository.
    static func isValidName(_ name: Substring) -> Bool {
        let bytes = name.utf8
        guard let first = bytes.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first), bytes.count <= 39 else { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-")
        }
    }
}
