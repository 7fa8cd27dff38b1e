/// Reads the SSH wire encoding (RFC 4251 §5) of a public key blob.
struct SSHWireReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { offset == bytes.count }

    /// A `string`: a 32-bit big-endian length, then that many bytes.
    mutating func readString(_ field: String) throws -> [UInt8] {
        guard bytes.count - offset >= 4 else { throw SSHKeyError.invalidKeyData("\(field) is truncated") }
        let length = bytes[offset..<offset + 4].reduce(0) { ($0 << 8) | Int($1) }
        offset += 4
        guard length <= bytes.count - offset else { throw SSHKeyError.invalidKeyData("\(field) is truncated") }
        defer { offset += length }
        return Array(bytes[offset..<offset + length])
    }

    /// An `mpint` that must be positive; returned without leading zero bytes.
    mutating func readPositiveInteger(_ field: String) throws -> [UInt8] {
        let value = try readString(field)
        guard let first = value.first, first & 0x80 == 0 else {
            throw SSHKeyError.invalidKeyData("\(field) is not a positive number")
        }
        let magnitude = Array(value.drop { $0 == 0 })
        guard !magnitude.isEmpty else { throw SSHKeyError.invalidKeyData("\(field) is zero") }
        return magnitude
    }
}

extension [UInt8] {
    /// The number of significant bits of a big-endian unsigned integer without leading zero bytes.
    var bitLength: Int {
        guard let first else { return 0 }
        return (count - 1) * 8 + (UInt8.bitWidth - first.leadingZeroBitCount)
    }
}
