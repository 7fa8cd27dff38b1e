import Glibc
import Foundation

/// `mkdir -p`: returns 0, or the errno of the component that could not be made.
func makeDirectories(_ path: String, mode: mode_t = 0o755) -> Int32 {
    var prefix = ""
    for component in path.split(separator: "/") {
        prefix += "/" + component
        if mkdir(prefix, mode) != 0 && errno != EEXIST { return errno }
    }
    return 0
}

/// Gives a whole tree to `uid`:`gid` (symlinks themselves, never their targets), so a build running
/// as the project's uid can write its checkout. Returns the first path that failed, if any.
func changeOwnerRecursively(_ path: String, uid: uid_t, gid: gid_t) -> String? {
    if lchown(path, uid, gid) != 0 { return path }
    guard let enumerator = FileManager.default.enumerator(atPath: path) else { return nil }
    for case let relative as String in enumerator {
        let child = path + "/" + relative
        if lchown(child, uid, gid) != 0 { return child }
    }
    return nil
}
