import CGit2

/// A libgit2 call that failed: what was attempted and libgit2's own report (`git_error_last()`).
public struct GitError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What was attempted, e.g. `open the bare repository /var/lib/paastech/repos/<uuid>.git`.
    public let operation: String
    /// The `git_error_code` returned (negative), e.g. -3 for `GIT_ENOTFOUND`.
    public let code: Int32
    /// The `git_error_t` class of the error, e.g. 2 (`GIT_ERROR_OS`) or 6 (`GIT_ERROR_REPOSITORY`).
    public let errorClass: Int32
    /// libgit2's message, e.g. `could not find repository at '...'`.
    public let message: String

    /// - Parameters:
    ///   - operation: What was attempted, with the arguments that identify it.
    ///   - code: The negative `git_error_code`.
    ///   - errorClass: The `git_error_t` value of `git_error_last()->klass`.
    ///   - message: libgit2's message.
    public init(operation: String, code: Int32, errorClass: Int32, message: String) {
        self.operation = operation
        self.code = code
        self.errorClass = errorClass
        self.message = message
    }

    /// Whether libgit2 reported `GIT_ENOTFOUND` (no such repository, object or reference).
    public var isNotFound: Bool { code == GIT_ENOTFOUND.rawValue }

    public var description: String {
        "\(operation) failed: \(message) (libgit2 error \(code), class \(Self.className(errorClass)))"
    }

    /// Reads (and clears) the calling thread's last libgit2 error.
    static func last(operation: String, code: Int32) -> GitError {
        defer { git_error_clear() }
        guard let error = git_error_last(), let message = error.pointee.message else {
            return GitError(operation: operation, code: code, errorClass: Int32(GIT_ERROR_NONE.rawValue), message: "no message from libgit2")
        }
        return GitError(operation: operation, code: code, errorClass: error.pointee.klass, message: String(cString: message))
    }

    private static func className(_ errorClass: Int32) -> String {
        switch UInt32(bitPattern: errorClass) {
        case GIT_ERROR_NONE.rawValue: "none"
        case GIT_ERROR_NOMEMORY.rawValue: "out of memory"
        case GIT_ERROR_OS.rawValue: "operating system"
        case GIT_ERROR_INVALID.rawValue: "invalid input"
        case GIT_ERROR_REFERENCE.rawValue: "reference"
        case GIT_ERROR_ODB.rawValue: "object database"
        case GIT_ERROR_REPOSITORY.rawValue: "repository"
        case GIT_ERROR_CONFIG.rawValue: "config"
        case GIT_ERROR_OBJECT.rawValue: "object"
        case GIT_ERROR_TREE.rawValue: "tree"
        case GIT_ERROR_FILESYSTEM.rawValue: "filesystem"
        default: "\(errorClass)"
        }
    }
}
