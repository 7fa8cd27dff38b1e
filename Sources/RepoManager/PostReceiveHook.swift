/// The `hooks/post-receive` script of every repository: it hands the push to the deploy pipeline.
///
/// git runs it after a push updated refs, with one `<old-id> <new-id> <ref-name>` line per ref on stdin,
/// the repository as the working directory and `GIT_DIR` set; `exec` keeps that stdin for the command.
enum PostReceiveHook {
    /// The script that runs `<command> hook post-receive`.
    /// - Parameter command: The absolute path of the `paastech` executable (ours, but quoted anyway).
    static func script(command: String) throws -> String {
        guard command.hasPrefix("/"), !command.utf8.contains(0) else { throw RepositoryError.invalidHookCommand(command) }
        return """
        #!/bin/sh
        # Installed by paastech repo-manager (recreated by CreateRepository): a push starts the deploy pipeline.
        exec \(shellQuoted(command)) hook post-receive

        """
    }

    /// `text` as one POSIX shell word: in single quotes, each `'` written as `'\''`.
    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacing("'", with: #"'\''"#) + "'"
    }
}
