import Glibc

/// A plain detached pthread for blocking calls (such as `waitpid`) that must not occupy a thread of
/// Swift's small cooperative pool.
public enum DetachedThread {
    private final class Work {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// Runs `body` on a new thread that cleans up after itself.
    public static func start(_ body: @escaping @Sendable () -> Void) throws {
        let work = Unmanaged.passRetained(Work(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            // safe: pthread_create passes back exactly the pointer given below, which is never nil.
            let work = Unmanaged<Work>.fromOpaque(argument!).takeRetainedValue()
            work.body()
            return nil
        }, work)
        guard result == 0 else {
            Unmanaged<Work>.fromOpaque(work).release()
            throw SystemCallError(operation: "pthread_create (a thread for a blocking call)", errno: result)
        }
        pthread_detach(thread)
    }
}
