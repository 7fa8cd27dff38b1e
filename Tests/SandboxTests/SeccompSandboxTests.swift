import Foundation
import Sandbox
import Testing

@Suite("The seccomp filter inside real sandboxes")
struct SeccompSandboxTests {
    static let probe = """
        import ctypes, socket
        libc = ctypes.CDLL(None, use_errno=True)
        def errno_of(result):
            return 'ok' if result >= 0 else 'errno=%d' % ctypes.get_errno()
        print('mount', errno_of(libc.mount(b'none', b'/tmp', b'tmpfs', 0, None)))
        print('unshare', errno_of(libc.unshare(0x00020000)))
        print('ptrace', errno_of(libc.ptrace(0, 0, None, None)))
        print('bpf', errno_of(libc.syscall(321, 0, None, 0)))
        print('keyctl', errno_of(libc.syscall(250, 0, -3, 0)))
        try:
            socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 15).close(); print('uevent ok')
        except PermissionError: print('uevent errno=1')
        try:
            socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0).close(); print('packet ok')
        except PermissionError: print('packet errno=1')
        print('if_nameindex', [name for _, name in socket.if_nameindex()])
        """

    @Test("Seccomp: 2; mount, unshare, ptrace, bpf, keyctl, packet and non-route netlink sockets fail with EPERM; if_nameindex works")
    func deniedSyscalls() async throws {
        let status = try await SandboxHarness.run("grep '^Seccomp:' /proc/self/status")
        #expect(status.output.contains("Seccomp:\t2"), "\(status.output)")

        let result = try await SandboxHarness.run(SandboxOptions(command: ["/usr/bin/python3", "-c", Self.probe],
                                                                 hostname: "probe", uid: 61000, gid: 61000))
        #expect(result.status == 0, "\(result.output)")
        for name in ["mount", "unshare", "ptrace", "bpf", "keyctl", "uevent", "packet"] {
            #expect(result.output.contains("\(name) errno=1\n"), "\(name): \(result.output)")
        }
        #expect(result.output.contains("if_nameindex ['lo']"), "\(result.output)")
    }

    @Test("Node's os.networkInterfaces() works under the filter, loopback-only and on the bridge")
    func nodeInterfaces() async throws {
        // make test installs nodejs (Makefile APT_PACKAGES): its absence is a failure, not a skip.
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/node"), "/usr/bin/node is missing")
        for (network, expected) in [(SandboxOptions.NetworkMode.loopback, "lo\n"), (.bridged(egress: false), "lo,eth0\n")] {
            var options = SandboxOptions(
                command: ["/usr/bin/node", "-e", "console.log(Object.keys(require('os').networkInterfaces()).join(','))"],
                hostname: "node", uid: 61000, gid: 61000, network: network)
            options.id = "node-" + String(UInt32.random(in: .min ... .max), radix: 16)
            let result = try await SandboxHarness.run(options)
            #expect(result.status == 0, "\(network): \(result.output)")
            #expect(result.output == expected, "\(network): \(result.output)")
        }
    }

    @Test("compilers and git run under the filter")
    func toolsRun() async throws {
        let result = try await SandboxHarness.run("""
            cd /tmp && git init -q repo && cd repo && git -c user.name=a -c user.email=a@b commit -q --allow-empty -m x && echo git-ok
            printf 'int main(void){return 0;}' > /tmp/t.c && cc -o /tmp/t /tmp/t.c && /tmp/t && echo cc-ok
            """)
        #expect(result.output.contains("git-ok"), "\(result.output)")
        #expect(result.output.contains("cc-ok"), "\(result.output)")
    }
}
