import NIOCore
import NIOHTTP1

/// A response the edge writes itself (no app involved): error pages, redirects, ACME challenge answers.
struct LocalResponse {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: String
    /// Close the connection afterwards (the rest of the request is not read).
    var closeConnection = false

    /// A small HTML page naming the problem, the same for every app.
    static func page(_ status: HTTPResponseStatus, _ message: String, close: Bool = false) -> LocalResponse {
        let title = "\(status.code) \(status.reasonPhrase)"
        let body = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>\(title)</title>
            <style>body{font-family:system-ui,sans-serif;margin:4rem auto;max-width:36rem;padding:0 1rem}</style></head>
            <body><h1>\(title)</h1><p>\(message)</p><hr><p><small>PaaSTech Cloud</small></p></body></html>

            """
        return LocalResponse(status: status, headers: ["content-type": "text/html; charset=utf-8", "cache-control": "no-store"],
                             body: body, closeConnection: close)
    }

    static func notFound() -> LocalResponse {
        page(.notFound, "There is no app at this address. Check the name, or deploy an app with <code>git push</code>.")
    }

    static func noInstances() -> LocalResponse {
        page(.serviceUnavailable, "This app has no running instance right now. Try again in a moment.")
    }

    static func badGateway() -> LocalResponse {
        page(.badGateway, "The app did not answer. It may be restarting; try again in a moment.")
    }

    static func gatewayTimeout() -> LocalResponse {
        page(.gatewayTimeout, "The app took too long to answer.")
    }

    static func bodyTooLarge(limit: Int) -> LocalResponse {
        page(.payloadTooLarge, "The request body is larger than this app accepts (\(limit / 1024 / 1024) MiB).", close: true)
    }

    static func headersTooLarge() -> LocalResponse {
        page(.requestHeaderFieldsTooLarge, "The request headers are too large.", close: true)
    }

    static func badRequest(_ why: String) -> LocalResponse {
        page(.badRequest, why, close: true)
    }

    /// 308 keeps the method and body, unlike 301.
    static func redirect(to location: String) -> LocalResponse {
        var response = page(.permanentRedirect, "Moved to HTTPS.")
        response.headers.add(name: "location", value: location)
        return response
    }

    static func text(_ body: String) -> LocalResponse {
        LocalResponse(status: .ok, headers: ["content-type": "text/plain"], body: body)
    }

    /// The head and body parts, ready to write; `head` for a HEAD request carries no body.
    func parts(version: HTTPVersion, keepAlive: Bool, hsts: String?, headRequest: Bool) -> [HTTPServerResponsePart] {
        var headers = self.headers
        headers.replaceOrAdd(name: "content-length", value: String(body.utf8.count))
        if closeConnection || !keepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
        if let hsts { headers.replaceOrAdd(name: "strict-transport-security", value: hsts) }
        var parts: [HTTPServerResponsePart] = [.head(HTTPResponseHead(version: version, status: status, headers: headers))]
        if !headRequest && !body.isEmpty { parts.append(.body(.byteBuffer(ByteBuffer(string: body)))) }
        parts.append(.end(nil))
        return parts
    }
}
