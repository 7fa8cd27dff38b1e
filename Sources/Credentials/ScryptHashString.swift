/// The stored form of a password hash: `$scrypt$ln=15,r=8,p=1$<salt>$<key>`, with salt and key
/// in base64 without padding (the PHC string format).
struct ScryptHashString: Equatable {
    static let identifier = "scrypt"

    var parameters: ScryptParameters
    var salt: [UInt8]
    var key: [UInt8]

    init(parameters: ScryptParameters, salt: [UInt8], key: [UInt8]) {
        self.parameters = parameters
        self.salt = salt
        self.key = key
    }

    /// Parses a stored hash; `nil` for anything malformed or with unacceptable parameters.
    init?(parsing text: String) {
        let fields = text.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 5, fields[0].isEmpty, fields[1] == Self.identifier else { return nil }

        var values: [Int] = []
        for (field, name) in zip(fields[2].split(separator: ",", omittingEmptySubsequences: false), ["ln", "r", "p"]) {
            let pair = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, pair[0] == name, pair[1].count <= 3, let value = Int(pair[1]) else { return nil }
            values.append(value)
        }
        guard values.count == 3, fields[2].split(separator: ",").count == 3 else { return nil }
        let parameters = ScryptParameters(logN: values[0], r: values[1], p: values[2])
        guard parameters.isAcceptable,
              let salt = Base64.decodeUnpadded(fields[3]), (8...64).contains(salt.count),
              let key = Base64.decodeUnpadded(fields[4]), (16...64).contains(key.count)
        else { return nil }
        self.init(parameters: parameters, salt: salt, key: key)
    }

    var encoded: String {
        "$\(Self.identifier)$\(parameters)$\(Base64.encodeUnpadded(salt))$\(Base64.encodeUnpadded(key))"
    }
}
