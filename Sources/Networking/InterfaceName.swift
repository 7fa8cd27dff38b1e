/// Checks network interface names before they reach the kernel or an nft script.
enum InterfaceName {
    /// IFNAMSIZ (16) less the terminating NUL.
    static let maximumLength = 15

    /// Accepts 1 to 15 characters of `A-Z a-z 0-9 _ - .`, not `.` or `..`.
    ///
    /// Stricter than the kernel (which takes any bytes but `/`, `:` and white space) so that a name can go
    /// into an nft script in double quotes without escaping.
    static func validate(_ name: String, role: String) throws(NetworkConfigurationError) {
        let allowed = name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }
        guard allowed, (1...maximumLength).contains(name.utf8.count), name != ".", name != ".." else {
            throw NetworkConfigurationError(
                .invalidInterfaceName,
                "\(role) name \"\(name)\" is not a usable interface name; use 1 to \(maximumLength) characters of A-Z a-z 0-9 _ - ."
            )
        }
    }
}
