/// The `hooks/pre-receive` script of every repository: it hands the push to the deploy pipeline.
///
/// git runs it once a push's objects are received (in a quarantine directory, `GIT_QUARANTINE_PATH`) and
/// before any ref moves, with one `<old-id> <new-id> <ref-name>` line per ref on stdin, the repository as
/// the working directory and `GIT_DIR` set; `exec` keeps that stdin for the command. Pre- rather than
/// post-receive: a failed build or health check exits non-zero, which rejects the push, so `git push`
/// fails and the branch keeps naming what is deployed (as on Heroku). A post-receive hook's status is ignored.
enum PushHook {
    /// The hook's file name in `hooks/`.
    static let name = "pre-receive"
    /// Hooks of earlier versions, removed when a repository is set up again.
    static let obsoleteNames = ["post-receive"]

    /// The script that runs `<command> hook pre-receive`.
    /// - Parameter command: The absolute path of the `paastech` executable (ours, but quoted anyway).
    static func script(command: String) throws -> String {
        guard command.hasPrefix("/"), !command.utf8.contains(0) else { throw RepositoryError.invalidHookCommand(command) }
        return """
        #!/bin/sh
        # Installed by paastech repo-manager (recreated by CreateRepository): a push starts the deploy pipeline.
        exec \(shellQuoted(command)) hook pre-receive

        """
    }

    /// `text` as one POSIX shell word: in single quotes, each `'` written as `'\''`.
    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacing("'", with: #"'\''"#) + "'"
    }
}
