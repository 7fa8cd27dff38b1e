import ArgumentParser
import Foundation
import Glibc
import Sandbox
import Systemd

/// `paastech bench sandbox`: spawn-to-exit of /bin/true through pomegranate's full sandbox, side by
/// side with what a user would otherwise pick, in one run (`make bench`).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks against the alternatives (make bench).", subcommands: [Sandboxes.self, Forwarder.self])

    struct Sandboxes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "sandbox", abstract: "Spawn-to-exit of /bin/true.")

        @Option(help: "Runs per contender.") var runs = 200

        struct Contender {
            var name: String
            /// Whether the runner's background work is waited for after each run (outside the measured time).
            var settles = true
            /// Idle time before each run (outside the measured time): what a start after a quiet moment costs
            /// (a sleeping app woken by a request, a deploy's first instance), with no kernel state warm.
            var pause: Duration? = nil
            var spawn: () async throws -> Void
        }

        func run() async throws {
            // Network namespaces and cgroup v1 leaves come ready-made from pools refilled in the background,
            // as in pomegranate.
            let runner = try SandboxRunner.shared(networkPoolSize: 4, spareCgroups: 2)
            let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
            defer { close(devNull) }
            var options = SandboxOptions(command: ["/bin/true"], hostname: "bench", uid: 60000, gid: 60000,
                                         limits: .init(memoryBytes: 256 << 20, cpuQuota: 1, pids: 64),
                                         network: .bridged(egress: true))
            options.stdio = [devNull, devNull, devNull]
            let frozen = options
            let full: @Sendable () async throws -> Void = {
                var options = frozen
                options.id = "bench-" + String(UInt32.random(in: .min ... .max), radix: 16)  // a fresh veth name each run
                let exit = try await runner.run(options)
                guard exit.status == 0 else { throw ExitCode(exit.status ?? 1) }
            }
            let contenders = [
                Contender(name: "plain fork/exec (posix_spawn)") { try await Self.external(["/bin/true"]) },
                Contender(name: "pomegranate: full sandbox + cgroup + network + seccomp", spawn: full),
                Contender(name: "pomegranate: same, back to back (no wait between runs)", settles: false, spawn: full),
                Contender(name: "pomegranate: same, each run after 50 ms idle", pause: .milliseconds(50), spawn: full),
                Contender(name: "pomegranate: same, loopback-only network") {
                    var options = frozen
                    options.id = "bench-" + String(UInt32.random(in: .min ... .max), radix: 16)
                    options.network = .loopback
                    let exit = try await runner.run(options)
                    guard exit.status == 0 else { throw ExitCode(exit.status ?? 1) }
                },
                Contender(name: "unshare --pid --fork --mount --uts --ipc --net true") {
                    try await Self.external(["/usr/bin/unshare", "--pid", "--fork", "--mount", "--uts", "--ipc", "--net", "/bin/true"])
                },
                Contender(name: "bwrap --unshare-all (ro /usr, /proc, /dev, /tmp) true") {
                    try await Self.external(["/usr/bin/bwrap", "--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr",
                                             "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
                                             "--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev",
                                             "--tmpfs", "/tmp", "/bin/true"])
                },
            ]
            // Interleaved rounds: each round runs every contender once, so that the machine's drift (other tenants
            // of this VM's host, frequency) weighs on all of them alike. After each run the runner's background
            // work (teardown of the ended sandbox, refills of the pools) is waited for, outside the measured time,
            // for every contender (the others have none). The back-to-back row runs on its own afterwards: its
            // runs follow each other with no wait.
            for contender in contenders {
                for _ in 0..<5 { try await contender.spawn() }  // warm-up
            }
            await runner.waitForBackgroundWork()
            var samples = [[Duration]](repeating: [], count: contenders.count)
            func measure(_ index: Int) async throws {
                let contender = contenders[index]
                if let pause = contender.pause { try await Task.sleep(for: pause) }
                let start = ContinuousClock.now
                try await contender.spawn()
                samples[index].append(ContinuousClock.now - start)
                if contender.settles { await runner.waitForBackgroundWork() }
            }
            for _ in 0..<runs {
                for index in contenders.indices where contenders[index].settles { try await measure(index) }
            }
            for index in contenders.indices where !contenders[index].settles {
                for _ in 0..<runs { try await measure(index) }
                await runner.waitForBackgroundWork()
            }
            let results = zip(contenders, samples).map { contender, samples in
                let sorted = samples.sorted()
                return (contender.name, sorted[sorted.count / 2], sorted[min(sorted.count - 1, sorted.count * 99 / 100)])
            }
            let reference = results[1].1
            print("spawn-to-exit of /bin/true, \(runs) runs each, interleaved (lower is better)")
            print("pomegranate: teardown (cgroup removal, namespaces) runs after the exit is reported, off the measured path;")
            print("network namespaces and cgroup leaves come pre-made from pools refilled in the background; that work is")
            print("waited for between runs (outside the measured time) except in the back-to-back row")
            print("contender".padding(toLength: 58, withPad: " ", startingAt: 0) + "median     p99        vs pomegranate")
            for (name, median, p99) in results {
                print(name.padding(toLength: 58, withPad: " ", startingAt: 0)
                      + Self.milliseconds(median).padding(toLength: 11, withPad: " ", startingAt: 0)
                      + Self.milliseconds(p99).padding(toLength: 11, withPad: " ", startingAt: 0)
                      + String(format: "%.2f×", median / reference))
            }
        }

        static func milliseconds(_ duration: Duration) -> String {
            String(format: "%.3f ms", Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000)
        }

        static func external(_ argv: [String]) async throws {
            let child = try ChildProcess.spawn(executable: argv[0], arguments: Array(argv.dropFirst()),
                                               environment: ["PATH": "/usr/bin:/bin"], passingFDs: [])
            guard case .exited(0) = await child.waitForExit() else { throw ExitCode.failure }
        }
    }
}
