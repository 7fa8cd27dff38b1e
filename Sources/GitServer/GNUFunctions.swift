import Glibc

/// glibc functions that Swift's Glibc module hides (it does not define `_GNU_SOURCE`), found by name at
/// run time. Each has a fallback, so an older libc only loses the extra safety.
enum GNUFunctions {
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    typealias Accept4 = @convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32) -> Int32

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34): close every fd >= n in the child.
    static let addCloseFrom: AddCloseFrom? = lookUp("posix_spawn_file_actions_addclosefrom_np")
    /// `accept4(2)`, to get `SOCK_CLOEXEC` atomically.
    static let accept4: Accept4? = lookUp("accept4")

    private static func lookUp<Function>(_ name: String) -> Function? {
        // dlopen(NULL) is the program itself, whose global scope includes the already-loaded libc.
        guard let program = dlopen(nil, RTLD_NOW), let symbol = dlsym(program, name) else { return nil }
        return unsafeBitCast(symbol, to: Function.self)
    }
}
