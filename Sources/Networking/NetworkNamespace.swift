import Glibc
import Systemd

/// Work done inside another network namespace, on a short-lived thread of its own.
///
/// `setns(CLONE_NEWNET)` moves only the calling thread; a socket keeps the namespace it was created in
/// for its whole life, whichever thread later uses it. So a dedicated thread enters the namespace,
/// creates what is needed, and exits; no other thread ever changes namespace.
public enum NetworkNamespace {
    /// CLONE_NEWNET from <sched.h>.
    static let cloneFlag: Int32 = 0x4000_0000

    /// Opens `/proc/<pid>/ns/net`: the network namespace of process `pid`, close-on-exec. Close it when done.
    public static func open(pid: pid_t) throws(SystemCallError) -> Int32 {
        try SystemCall.retryingInterrupts("open(/proc/\(pid)/ns/net)", hint: { errno in
            errno == ENOENT ? "process \(pid) has exited" : nil
        }) {
            Glibc.open("/proc/\(pid)/ns/net", O_RDONLY | O_CLOEXEC)
        }
    }

    /// Runs `body` on a new thread that first enters the network namespace `namespaceFD`; waits for it.
    static func run<Value>(
        in namespaceFD: Int32,
        _ body: @escaping () throws(SystemCallError) -> Value
    ) throws(SystemCallError) -> Value {
        guard let setns = GNUFunctions.setns else {
            throw SystemCallError(operation: "setns (looked up in libc)", errno: ENOSYS, hint: "glibc 2.14 or newer is needed")
        }
        let outcome = Outcome<Value>()
        let work = ThreadBody {
            outcome.result = Result { () throws(SystemCallError) -> Value in
                try SystemCall.retryingInterrupts("setns(\(namespaceFD), CLONE_NEWNET)", hint: setnsHint) {
                    setns(namespaceFD, cloneFlag)
                }
                return try body()
            }
        }
        let context = Unmanaged.passRetained(work).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { argument in
            // safe: pthread_create passes back exactly the non-nil pointer given below.
            Unmanaged<ThreadBody>.fromOpaque(argument!).takeRetainedValue().run()
            return nil
        }, context)
        guard created == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(context).release()
            throw SystemCallError(operation: "pthread_create (a thread to enter namespace fd \(namespaceFD))", errno: created)
        }
        pthread_join(thread, nil)
        // pthread_join orders the thread's write of the result before this read.
        guard let result = outcome.result else {
            throw SystemCallError(operation: "a thread in namespace fd \(namespaceFD) ended without a result", errno: EINVAL)
        }
        return try result.get()
    }

    private static func setnsHint(_ errno: Int32) -> String? {
        switch errno {
        case EBADF: return "the namespace descriptor is not open"
        case EINVAL: return "the descriptor is not a network namespace (open /proc/<pid>/ns/net)"
        case EPERM: return "entering a network namespace needs CAP_SYS_ADMIN: run pomegranate as root"
        default: return nil
        }
    }
}

/// What a namespace thread runs.
private final class ThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// The result a namespace thread leaves for the thread that joins it.
private final class Outcome<Value> {
    var result: Result<Value, SystemCallError>?
}
