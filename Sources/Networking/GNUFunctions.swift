import Glibc

/// glibc functions that Swift's Glibc module hides because it does not define `_GNU_SOURCE`, found by
/// name at run time (a system-library shim would need a change to Package.swift).
enum GNUFunctions {
    typealias SetNamespace = @Sendable @convention(c) (Int32, Int32) -> Int32

    typealias Unshare = @Sendable @convention(c) (Int32) -> Int32
    typealias RenameAt2 = @Sendable @convention(c) (Int32, UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, UInt32) -> Int32

    /// `setns(2)`, in glibc since 2.14.
    static let setns: SetNamespace? = lookUp("setns", as: SetNamespace.self)
    /// `unshare(2)`.
    static let unshare: Unshare? = lookUp("unshare", as: Unshare.self)
    /// `renameat2(2)`, in glibc since 2.28.
    static let renameat2: RenameAt2? = lookUp("renameat2", as: RenameAt2.self)

    private static func lookUp<Function>(_ name: String, as type: Function.Type) -> Function? {
        // dlopen(NULL) is the program itself, whose global scope includes the already-loaded libc.
        guard let program = dlopen(nil, RTLD_NOW), let symbol = dlsym(program, name) else { return nil }
        return unsafeBitCast(symbol, to: type)
    }
}
