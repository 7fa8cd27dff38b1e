import CGit2
import COpenSSL
import CPostgres
import CSSH
import CSeccomp
import CSystemd
import Testing

/// Every C library of the platform is found through pkg-config, compiles through its shim and
/// links, even those whose first real user comes in a later issue.
@Suite("Debian's C libraries")
struct NativeLibrariesTests {
    @Test("libpq") func libpq() { #expect(PQlibVersion() >= 150000) }

    @Test("libssh, with its server API") func libssh() throws {
        let version = try #require(ssh_version(0).map { String(cString: $0) })
        #expect(version.hasPrefix("0."))
        let bind = ssh_bind_new()
        #expect(bind != nil)
        ssh_bind_free(bind)
    }

    @Test("libgit2") func libgit2() {
        var major: Int32 = 0, minor: Int32 = 0, revision: Int32 = 0
        #expect(git_libgit2_version(&major, &minor, &revision) == 0)
        #expect(major >= 1)
        #expect(git_libgit2_init() > 0)
        git_libgit2_shutdown()
    }

    @Test("libseccomp") func libseccomp() throws {
        let version = try #require(seccomp_version())
        #expect(version.pointee.major >= 2)
        let filter = seccomp_init(SCMP_ACT_ALLOW)
        #expect(filter != nil)
        seccomp_release(filter)
    }

    @Test("libsystemd") func libsystemd() {
        #expect(sd_booted() >= 0)
    }

    @Test("libcrypto (OpenSSL 3)") func libcrypto() {
        #expect(OpenSSL_version_num() >= 0x3000_0000)
    }
}
