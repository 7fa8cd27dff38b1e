/// Turns logger metadata keys into valid journald field names.
///
/// journald accepts names of at most 64 characters from `A-Z`, `0-9` and `_` that do not start with a digit;
/// a leading `_` marks fields only journald itself may set. Keys are upper-cased, other characters become `_`,
/// and a name that would still be invalid, or would collide with a field the handler writes, gets the
/// prefix `X_`. So `paastech.project` becomes `PAASTECH_PROJECT`, `_uid` becomes `X__UID`.
public enum JournalFieldName {
    /// Fields ``JournalLogHandler`` writes itself; metadata may not replace them.
    public static let reserved: Set<String> = [
        "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC", "LOGGER_LABEL", "ERROR",
    ]
    static let maximumLength = 64

    /// The journald field name for the metadata key `key`.
    public static func sanitize(_ key: String) -> String {
        var name = String(String.UnicodeScalarView(key.unicodeScalars.map { scalar -> Unicode.Scalar in
            switch scalar {
            case "a"..."z": return Unicode.Scalar(scalar.value - 32) ?? "_"
            case "A"..."Z", "0"..."9", "_": return scalar
            default: return "_"
            }
        }))
        let isValid = name.unicodeScalars.first.map { first in
            first != "_" && !("0"..."9").contains(first) && !reserved.contains(name)
        } ?? false
        if !isValid { name = "X_" + name }
        return String(name.prefix(maximumLength))
    }
}
