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

    /// Creates a network namespace (only `lo`, down) and returns a close-on-exec fd of it, which keeps it
    /// alive until closed (or until the last process in it exits, whichever is later). Join it with
    /// `setns(fd, CLONE_NEWNET)`; connect it with ``InstanceNetwork/attach(namespaceFD:hostInterface:address:)``.
    /// - Throws: `SystemCallError` (EPERM: not root).
    public static func create() throws(SystemCallError) -> Int32 {
        guard let unshare = GNUFunctions.unshare else {
            throw SystemCallError(operation: "unshare (looked up in libc)", errno: ENOSYS)
        }
        // unshare moves only the calling thread, which exits afterwards.
        return try onOwnThread(purpose: "a thread to create a network namespace") { () throws(SystemCallError) -> Int32 in
            try SystemCall.retryingInterrupts("unshare(CLONE_NEWNET)", hint: { $0 == EPERM ? "creating a network namespace needs CAP_SYS_ADMIN: run as root" : nil }) {
                unshare(cloneFlag)
            }
            return try SystemCall.retryingInterrupts("open(/proc/thread-self/ns/net)") {
                Glibc.open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
            }
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
        return try onOwnThread(purpose: "a thread to enter namespace fd \(namespaceFD)") { () throws(SystemCallError) -> Value in
            try SystemCall.retryingInterrupts("setns(\(namespaceFD), CLONE_NEWNET)", hint: setnsHint) {
                setns(namespaceFD, cloneFlag)
            }
            return try body()
        }
    }

    /// Runs `body` on a new thread, which exits afterwards, and waits for it.
    private static func onOwnThread<Value>(
        purpose: String,
        _ body: @escaping () throws(SystemCallError) -> Value
    ) throws(SystemCallError) -> Value {
        let outcome = Outcome<Value>()
        let work = ThreadBody {
            outcome.result = Result { () throws(SystemCallError) -> Value in try body() }
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
            throw SystemCallError(operation: "pthread_create (\(purpose))", errno: created)
        }
        pthread_join(thread, nil)
        // pthread_join orders the thread's write of the result before this read.
        guard let result = outcome.result else {
            throw SystemCallError(operation: "\(purpose) ended without a result", errno: EINVAL)
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
