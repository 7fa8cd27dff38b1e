import NIOHTTP1
import Synchronization

/// Header rewriting between clients and instances. Pure functions, so the rules are tested without I/O.
///
/// Nothing a client sends about the path it came by is trusted: `X-Forwarded-*`, `Forwarded` and
/// `X-Real-IP` are replaced by what the edge saw. Hop-by-hop headers (RFC 9110 §7.6.1) are removed in
/// both directions, except `Upgrade` on an upgrade request and its 101 answer.
enum ForwardedHeaders {
    /// What the edge knows about the client side of one request.
    struct Origin {
        /// The client's IP address (no port).
        var clientIP: String
        /// `http` or `https`.
        var scheme: String
        /// The `Host` the client asked for (with port, as sent).
        var host: String
        /// The port the client connected to.
        var port: Int
    }

    static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "transfer-encoding"]
    static let untrusted: [String] = ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port", "forwarded", "x-real-ip"]

    /// Whether the client asks to switch protocols (WebSocket): `Connection: upgrade` plus an `Upgrade` header.
    static func isUpgradeRequest(_ head: HTTPRequestHead) -> Bool {
        !head.headers["upgrade"].isEmpty
            && head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
    }

    /// A request target in origin form (`/cart?x=1`) and, for the absolute form (`http://host/cart`, which
    /// servers must accept, RFC 9112 §3.2.2), the authority it names. `*` (OPTIONS) stays as it is.
    static func originForm(_ uri: String) -> (authority: Substring?, target: Substring) {
        var rest = Substring(uri)
        for scheme in ["http://", "https://"] where rest.utf8.count > scheme.utf8.count {
            let prefix = rest.prefix(scheme.utf8.count)
            guard prefix.lowercased() == scheme else { continue }
            rest = rest.dropFirst(scheme.utf8.count)
            let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            let authority = rest[..<slash]
            let target = rest[slash...]
            return (authority, target.isEmpty ? "/" : target.first == "?" ? Substring("/" + target) : target)
        }
        return (nil, rest)
    }

    /// The request head sent to an instance: HTTP/1.1, hop-by-hop headers removed, forwarding headers set,
    /// `Expect` removed (the edge answers `100 Continue` itself), and a request id.
    static func upstreamRequest(_ head: HTTPRequestHead, origin: Origin, requestID: String) -> HTTPRequestHead {
        let upgrade = isUpgradeRequest(head)
        // One pass over the client's headers (this runs for every request).
        let connectionOptions = connectionOptions(head.headers)
        var headers: [(String, String)] = []
        headers.reserveCapacity(head.headers.count + 9)
        for (name, value) in head.headers
            where !isNamed(name, in: droppedFromRequests) && !isNamed(name, in: connectionOptions)
        {
            headers.append((name, value))
        }
        headers.append(("x-request-id", requestID))
        headers.append(("x-forwarded-for", origin.clientIP))
        headers.append(("x-real-ip", origin.clientIP))
        headers.append(("x-forwarded-proto", origin.scheme))
        headers.append(("x-forwarded-host", origin.host))
        headers.append(("x-forwarded-port", String(origin.port)))
        headers.append(("forwarded", forwarded(origin)))
        if upgrade, let protocolName = head.headers.first(name: "upgrade") {
            headers.append(("connection", "upgrade"))
            headers.append(("upgrade", protocolName))
        }
        let uri = head.uri.utf8.first == UInt8(ascii: "/") ? head.uri : String(originForm(head.uri).target)
        return HTTPRequestHead(version: .http1_1, method: head.method, uri: uri, headers: HTTPHeaders(headers))
    }

    /// The response head sent to the client: hop-by-hop headers removed (the encoder frames the body
    /// itself), HSTS added on HTTPS, the request id echoed.
    static func clientResponse(_ head: HTTPResponseHead, hsts: String?, requestID: String, keepAlive: Bool) -> HTTPResponseHead {
        let switching = head.status == .switchingProtocols
        let upgradeProtocol = switching ? head.headers.first(name: "upgrade") : nil
        // One pass over the instance's headers (this runs for every response).
        let connectionOptions = connectionOptions(head.headers)
        var headers: [(String, String)] = []
        headers.reserveCapacity(head.headers.count + 3)
        var hasHSTS = false
        var hasRequestID = false
        for (name, value) in head.headers
            where !isNamed(name, in: droppedFromResponses) && !isNamed(name, in: connectionOptions)
        {
            headers.append((name, value))
            if !hasHSTS, hsts != nil, isNamed(name, in: hstsName) { hasHSTS = true }
            if !hasRequestID, isNamed(name, in: requestIDName) { hasRequestID = true }
        }
        if switching, let upgradeProtocol {
            headers.append(("connection", "upgrade"))
            headers.append(("upgrade", upgradeProtocol))
        } else if !keepAlive {
            headers.append(("connection", "close"))
        }
        if let hsts, !hasHSTS { headers.append(("strict-transport-security", hsts)) }
        if !hasRequestID { headers.append(("x-request-id", requestID)) }
        return HTTPResponseHead(version: .http1_1, status: head.status, headers: HTTPHeaders(headers))
    }

    /// `for=203.0.113.7;proto=https;host=shop.example.com` (RFC 7239; IPv6 and ports quoted).
    static func forwarded(_ origin: Origin) -> String {
        let forValue = origin.clientIP.utf8.contains(UInt8(ascii: ":")) ? "\"[\(origin.clientIP)]\"" : origin.clientIP
        return "for=\(forValue);proto=\(origin.scheme);host=\(quotedIfNeeded(origin.host))"
    }

    /// A client's `X-Request-ID` is kept when it looks like one (20 to 200 of `[A-Za-z0-9+/=._-]`, as
    /// Heroku does); otherwise a new one is made.
    static func requestID(from head: HTTPRequestHead) -> String {
        if let given = head.headers.first(name: "x-request-id"), (20...200).contains(given.utf8.count),
           given.utf8.allSatisfy({ isRequestIDByte($0) })
        {
            return given
        }
        return RequestID.next()
    }

    private static func isRequestIDByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"): true
        default: false
        }
    }

    private static func quotedIfNeeded(_ value: String) -> String {
        value.utf8.contains(UInt8(ascii: ":")) ? "\"\(value)\"" : value
    }

    /// Not passed on to instances: hop-by-hop headers but `Transfer-Encoding` (the body is forwarded as
    /// it came), what the edge sets itself, and `Expect` (the edge answers `100 Continue`).
    private static let droppedFromRequests = hopByHop.filter { $0 != "transfer-encoding" } + untrusted + ["expect", "x-request-id"]
    /// Not passed on to clients: hop-by-hop headers (the encoder frames the body itself).
    private static let droppedFromResponses = Array(hopByHop)
    private static let hstsName = ["strict-transport-security"]
    private static let connectionName = ["connection"]
    private static let hopByHopOptions = ["keep-alive", "upgrade"]
    private static let requestIDName = ["x-request-id"]

    /// The header names listed in `Connection`, lower-cased (hop-by-hop too).
    private static func connectionOptions(_ headers: HTTPHeaders) -> [String] {
        var plain = true  // only `Connection: keep-alive` or `upgrade`, which name headers removed anyway
        for (name, value) in headers where isNamed(name, in: connectionName) {
            plain = plain && isNamed(value, in: hopByHopOptions)
        }
        if plain { return [] }
        return headers[canonicalForm: "connection"].compactMap { $0.isEmpty ? nil : $0.lowercased() }
    }

    /// Whether `name` is one of `lowerCased` (ASCII lower-case names), ignoring case.
    private static func isNamed(_ name: String, in lowerCased: [String]) -> Bool {
        let count = name.utf8.count
        for candidate in lowerCased where candidate.utf8.count == count {
            if name.utf8.elementsEqual(candidate.utf8, by: { $0 == $1 || ($0 &- UInt8(ascii: "A") < 26 && $0 | 0x20 == $1) }) {
                return true
            }
        }
        return false
    }
}

/// Request ids: 16 hex digits chosen at random when the edge starts, then a 16-digit counter. Unique per
/// edge run and cheap: Foundation's `UUID()` opens /dev/urandom on every call here.
enum RequestID {
    private static let prefix: UInt64 = .random(in: .min ... .max)
    private static let counter = Atomic<UInt64>(0)

    static func next() -> String {
        let number = counter.wrappingAdd(1, ordering: .relaxed).newValue
        return String(unsafeUninitializedCapacity: 32) { buffer in
            let digits: StaticString = "0123456789abcdef"
            for (offset, value) in [(0, prefix), (16, number)] {
                for index in 0..<16 {
                    let nibble = Int((value >> UInt64(60 - 4 * index)) & 0xf)
                    buffer[offset + index] = digits.utf8Start[nibble]
                }
            }
            return 32
        }
    }
}
