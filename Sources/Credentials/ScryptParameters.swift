/// The cost parameters of scrypt (RFC 7914): N = 2^logN, block size r, parallelism p.
///
/// Stored in every hash string, so hashes made with older parameters still verify after the
/// defaults are raised (and ``PasswordHasher/needsRehash(_:)`` reports them).
public struct ScryptParameters: Sendable, Equatable, CustomStringConvertible {
    /// log2 of the CPU/memory cost N.
    public var logN: Int
    /// The block size r.
    public var r: Int
    /// The parallelisation p.
    public var p: Int

    /// Creates parameters; ``PasswordHasher`` refuses values outside ``isAcceptable``.
    public init(logN: Int, r: Int, p: Int) {
        self.logN = logN
        self.r = r
        self.p = p
    }

    /// N = 2^15, r = 8, p = 1: 32 MiB and about 100 ms per hash on current hardware.
    public static let `default` = ScryptParameters(logN: 15, r: 8, p: 1)

    /// Memory scrypt needs: 128·r·(N + 2) for V plus 128·r·p for B.
    var memoryBytes: UInt64 {
        128 * UInt64(r) * ((1 << UInt64(logN)) + 2) + 128 * UInt64(r) * UInt64(p)
    }

    /// Whether these parameters are sane enough to run: a stored hash string could otherwise ask
    /// for gigabytes of memory or hours of CPU.
    public var isAcceptable: Bool {
        (1...20).contains(logN) && (1...32).contains(r) && (1...16).contains(p) && memoryBytes <= 1 << 30
    }

    public var description: String { "ln=\(logN),r=\(r),p=\(p)" }
}
