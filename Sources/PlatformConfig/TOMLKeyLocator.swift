/// Finds the line on which each key and table of a TOML document is first defined.
///
/// TOMLKit does not expose toml++'s source positions for individual nodes, so error messages get
/// their line numbers from this small scanner instead. It runs only on text the TOML parser has
/// already accepted, and understands what can hide or span a key: `[table]` and `[[array]]`
/// headers, bare / quoted / dotted keys, inline tables, multi-line arrays, all four string forms
/// and comments.
struct TOMLKeyLocator {
    /// Key path (`["api", "listen"]`) → 1-based line. Every prefix of a dotted key is recorded too.
    private(set) var lines: [[String]: Int] = [:]

    init(_ text: String) {
        var scanner = Scanner(bytes: Array(text.utf8))
        scanner.scanDocument()
        lines = scanner.lines
    }

    /// The line of `path`, or of its nearest enclosing table when `path` itself is not written
    /// out (for example a key inside a table that is never mentioned).
    func line(of path: [String]) -> Int? {
        var path = path
        while !path.isEmpty {
            if let line = lines[path] { return line }
            path.removeLast()
        }
        return nil
    }
}

private struct Scanner {
    let bytes: [UInt8]
    var index = 0
    var line = 1
    var lines: [[String]: Int] = [:]

    init(bytes: [UInt8]) {
        self.bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }  // UTF-8 byte order mark
    }

    var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    func peek(_ offset: Int) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    mutating func advance() {
        if bytes[index] == UInt8(ascii: "\n") { line += 1 }
        index += 1
    }

    mutating func record(_ path: [String], line: Int) {
        for length in stride(from: 1, through: path.count, by: 1) where lines[Array(path.prefix(length))] == nil {
            lines[Array(path.prefix(length))] = line
        }
    }

    // MARK: Structure

    mutating func scanDocument() {
        var table: [String] = []
        while true {
            skipBlanks()
            guard let byte = current else { return }
            switch byte {
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                advance()
            case UInt8(ascii: "#"):
                skipRestOfLine()
            case UInt8(ascii: "["):
                advance()
                if current == UInt8(ascii: "[") { advance() }  // [[array.of.tables]]
                if let path = scanKeyPath() {
                    table = path
                    record(path, line: line)
                }
                skipRestOfLine()
            default:
                let keyLine = line
                guard let path = scanKeyPath() else {
                    skipRestOfLine()
                    continue
                }
                record(table + path, line: keyLine)
                skipBlanks()
                if current == UInt8(ascii: "=") {
                    advance()
                    scanValue(path: table + path)
                }
                skipRestOfLine()
            }
        }
    }

    /// Skips one value; keys of inline tables inside it are recorded under `path`.
    mutating func scanValue(path: [String]?) {
        skipBlanks()
        switch current {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            skipString()
        case UInt8(ascii: "["):
            advance()
            scanArray()
        case UInt8(ascii: "{"):
            advance()
            scanInlineTable(path: path)
        default:
            skipScalar()
        }
    }

    mutating func scanArray() {
        while true {
            skipBlanksNewlinesAndComments()
            guard let byte = current else { return }
            switch byte {
            case UInt8(ascii: "]"):
                advance()
                return
            case UInt8(ascii: ","):
                advance()
            default:
                scanValue(path: nil)  // keys inside arrays have no single path
            }
        }
    }

    mutating func scanInlineTable(path: [String]?) {
        while true {
            skipBlanksNewlinesAndComments()
            guard let byte = current else { return }
            switch byte {
            case UInt8(ascii: "}"):
                advance()
                return
            case UInt8(ascii: ","):
                advance()
            default:
                let keyLine = line
                guard let key = scanKeyPath() else {
                    skipScalar()  // not expected in parsed TOML; never loop without progress
                    if current != nil && current != UInt8(ascii: "}") { advance() }
                    continue
                }
                if let path { record(path + key, line: keyLine) }
                skipBlanks()
                if current == UInt8(ascii: "=") {
                    advance()
                    scanValue(path: path.map { $0 + key })
                }
            }
        }
    }

    // MARK: Keys

    /// `a`, `"a b"`, `'a'`, `a . "b" . c`; `nil` when there is no key here.
    mutating func scanKeyPath() -> [String]? {
        var path: [String] = []
        while true {
            skipBlanks()
            guard let segment = scanKeySegment() else { return nil }
            path.append(segment)
            skipBlanks()
            guard current == UInt8(ascii: ".") else { return path }
            advance()
        }
    }

    mutating func scanKeySegment() -> String? {
        switch current {
        case UInt8(ascii: "\""):
            advance()
            return scanBasicKey()
        case UInt8(ascii: "'"):
            advance()
            let start = index
            while let byte = current, byte != UInt8(ascii: "'"), byte != UInt8(ascii: "\n") { advance() }
            let key = String(decoding: bytes[start..<index], as: UTF8.self)
            if current == UInt8(ascii: "'") { advance() }
            return key
        default:
            let start = index
            while let byte = current, Self.isBareKeyByte(byte) { advance() }
            return index > start ? String(decoding: bytes[start..<index], as: UTF8.self) : nil
        }
    }

    /// The rest of a `"quoted key"`, with escapes decoded so it matches the parsed key.
    mutating func scanBasicKey() -> String {
        var decoded: [UInt8] = []
        while let byte = current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\n") {
            advance()
            guard byte == UInt8(ascii: "\\"), let escaped = current else {
                decoded.append(byte)
                continue
            }
            advance()
            switch escaped {
            case UInt8(ascii: "b"): decoded.append(0x08)
            case UInt8(ascii: "t"): decoded.append(0x09)
            case UInt8(ascii: "n"): decoded.append(0x0A)
            case UInt8(ascii: "f"): decoded.append(0x0C)
            case UInt8(ascii: "r"): decoded.append(0x0D)
            case UInt8(ascii: "u"), UInt8(ascii: "U"):
                let digits = escaped == UInt8(ascii: "u") ? 4 : 8
                let end = min(index + digits, bytes.count)
                let hex = String(decoding: bytes[index..<end], as: UTF8.self)
                while index < end { advance() }
                if let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) {
                    decoded.append(contentsOf: Array(String(Character(scalar)).utf8))
                }
            default: decoded.append(escaped)  // \" and \\
            }
        }
        if current == UInt8(ascii: "\"") { advance() }
        return String(decoding: decoded, as: UTF8.self)
    }

    static func isBareKeyByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }

    // MARK: Skipping

    mutating func skipBlanks() {
        while current == UInt8(ascii: " ") || current == UInt8(ascii: "\t") { advance() }
    }

    mutating func skipRestOfLine() {
        while let byte = current, byte != UInt8(ascii: "\n") { advance() }
    }

    mutating func skipBlanksNewlinesAndComments() {
        while let byte = current {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"): advance()
            case UInt8(ascii: "#"): skipRestOfLine()
            default: return
            }
        }
    }

    /// Numbers, booleans, dates: up to the next delimiter.
    mutating func skipScalar() {
        let delimiters: [UInt8] = Array(" \t\r\n,]}#".utf8)
        while let byte = current, !delimiters.contains(byte) { advance() }
    }

    /// Any of `"basic"`, `'literal'`, `"""multi-line basic"""`, `'''multi-line literal'''`.
    mutating func skipString() {
        guard let quote = current else { return }
        let isBasic = quote == UInt8(ascii: "\"")
        if peek(1) == quote && peek(2) == quote {
            advance(); advance(); advance()
            while current != nil {
                if isBasic && current == UInt8(ascii: "\\") {
                    advance()
                    if current != nil { advance() }
                } else if current == quote && peek(1) == quote && peek(2) == quote {
                    advance(); advance(); advance()
                    // Up to two quotes may directly follow the delimiter as content: """a"""""
                    while current == quote { advance() }
                    return
                } else {
                    advance()
                }
            }
            return
        }
        advance()
        while let byte = current, byte != UInt8(ascii: "\n") {
            advance()
            if byte == quote { return }
            if isBasic && byte == UInt8(ascii: "\\") && current != nil && current != UInt8(ascii: "\n") { advance() }
        }
    }
}
