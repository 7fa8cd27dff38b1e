import Glibc

/// What the pusher reads as `remote:` lines, written at once (git relays the hook's output as it
/// comes). Heroku's shape: `-----> Stage` lines, details indented by seven spaces. In the API (a rollback
/// or a config change) the lines go to a closure instead.
public struct PipelineOutput: Sendable {
    let fd: Int32
    let sink: (@Sendable (String) -> Void)?

    public init(fd: Int32 = 1) {
        self.fd = fd
        sink = nil
    }

    public init(sink: @escaping @Sendable (String) -> Void) {
        fd = -1
        self.sink = sink
    }

    public func stage(_ text: String) { write("-----> " + text) }
    public func detail(_ text: String) { write("       " + text) }
    public func error(_ text: String) { write(" !     " + text) }

    public func write(_ line: String) {
        if let sink { return sink(line) }
        var bytes = Array((line + "\n").utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }
}
