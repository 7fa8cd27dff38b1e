import CGit2

/// libgit2's process-wide state, and the one place its return codes become ``GitError``s.
public enum Git {
    /// `git_libgit2_init` runs exactly once, on first use: a `static let` is initialised thread-safely.
    private static let initialization: Int32 = git_libgit2_init()

    /// Initialises libgit2 once per process; later calls only report the first result. The types of this
    /// library call it themselves, so calling it at start-up is optional (it fails early instead of later).
    /// - Throws: ``GitError`` when libgit2 cannot initialise or was built without thread support (the
    ///   gRPC service opens repositories from several threads at once).
    public static func initialize() throws {
        let result = initialization
        if result < 0 { throw GitError.last(operation: "initialise libgit2 (git_libgit2_init)", code: result) }
        guard git_libgit2_features() & Int32(GIT_FEATURE_THREADS.rawValue) != 0 else {
            throw GitError(operation: "initialise libgit2", code: GIT_ERROR.rawValue, errorClass: Int32(GIT_ERROR_THREAD.rawValue),
                           message: "this libgit2 was built without thread support; install Debian's libgit2")
        }
    }

    /// Throws the thread's last libgit2 error when `result` is negative; returns it otherwise.
    @discardableResult
    static func check(_ result: Int32, _ operation: @autoclosure () -> String) throws -> Int32 {
        if result < 0 { throw GitError.last(operation: operation(), code: result) }
        return result
    }

    /// The 40-digit hex form of an object id.
    static func hex(_ oid: UnsafePointer<git_oid>) -> String {
        var buffer = [CChar](repeating: 0, count: Int(GIT_OID_HEXSZ) + 1)
        git_oid_tostr(&buffer, buffer.count, oid)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
