import AsyncHTTPClient
import Foundation
import NIOCore

/// A typed client of the API's internal Unix socket (`[paths] run_dir`/api.sock), which only the platform's
/// own daemons reach: the API authorises them by the `SO_PEERCRED` uid (`[api] internal_allowed_users`).
///
/// One method per internal route, each a thin call of ``get(_:query:as:)``: a new route is one more method.
public struct InternalAPIClient: Sendable {
    /// The socket the API serves its internal router on.
    public let socketPath: String
    private let httpClient: HTTPClient
    private let timeout: TimeAmount
    /// Largest answer read; the internal routes return small JSON objects.
    private static let maximumResponseBytes = 1 << 20

    /// - Parameters:
    ///   - socketPath: The API's internal socket, normally `PlatformConfiguration.paths.apiInternalSocket`.
    ///   - httpClient: The client to send requests with; the process-wide shared one by default.
    ///   - timeout: The longest a request may take, from connecting to the last byte of the answer.
    public init(socketPath: String, httpClient: HTTPClient = .shared, timeout: Duration = .seconds(10)) {
        self.socketPath = socketPath
        self.httpClient = httpClient
        let (seconds, attoseconds) = timeout.components
        self.timeout = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// The owner of the SSH key with this fingerprint, or nil when no enabled user owns it.
    /// - Parameter fingerprint: `SHA256:<unpadded base64>`, as `ssh-keygen -lf` prints it.
    public func keyOwner(fingerprint: String) async throws(InternalAPIError) -> KeyOwner? {
        try await getUnlessNotFound("/internal/v1/ssh-key-owner", query: [("fingerprint", fingerprint)])
    }

    /// The project `owner/name`, or nil when there is none.
    /// - Parameters:
    ///   - owner: The owner's username, as in the git remote `owner/name.git`.
    ///   - name: The project name.
    public func project(owner: String, name: String) async throws(InternalAPIError) -> Project? {
        try await getUnlessNotFound("/internal/v1/projects/\(Self.pathSegment(owner))/\(Self.pathSegment(name))")
    }

    /// The host names the edge routes besides the generated `<deployment>.<project>.<apps_domain>`: every custom
    /// domain, and `<project>.<apps_domain>` for each project with exactly one deployment; sorted by host name.
    public func edgeHosts() async throws(InternalAPIError) -> [EdgeHost] {
        try await get("/internal/v1/edge/hosts", as: EdgeHosts.self).hosts
    }

    /// Records the state of a custom domain's certificate, which the domain's owner sees in its domain list.
    /// - Parameters:
    ///   - host: The host name the certificate is for (any case).
    ///   - status: `pending`, `issued`, `failed` or `expired`; anything else is a 422 ``InternalAPIError``.
    ///   - expiresAt: The certificate's `notAfter`, or nil when there is none.
    ///   - error: Why getting the certificate failed, for the owner (e.g. the ACME server's problem detail).
    /// - Returns: false when `host` is not a custom domain (a generated name): nothing is recorded for it.
    @discardableResult
    public func reportCertificate(host: String, status: String, expiresAt: Date?, error: String?) async throws(InternalAPIError) -> Bool {
        do {
            _ = try await send("PUT", "/internal/v1/edge/certificates/\(Self.pathSegment(host))",
                               body: CertificateReport(status: status, expiresAt: expiresAt, error: error), as: NoContent.self)
            return true
        } catch let failure where failure.status == 404 {
            return false
        }
    }

    /// Sends `GET path?query` and decodes the JSON answer.
    /// - Parameters:
    ///   - path: The route, starting with `/`; segments taken from input must be percent-encoded by the caller.
    ///   - query: Query parameters, percent-encoded here.
    ///   - type: What the answer decodes to.
    /// - Throws: ``InternalAPIError`` for an unreachable socket, a status other than 2xx (with the API's
    ///   `{"error": {"code", "message"}}`), or an answer that does not decode.
    public func get<Response: Decodable>(
        _ path: String,
        query: [(String, String)] = [],
        as type: Response.Type = Response.self
    ) async throws(InternalAPIError) -> Response {
        try await send("GET", path, query: query, body: Optional<NoContent>.none, as: type)
    }

    /// An answer without a body (204), or a request without one.
    public struct NoContent: Codable, Sendable {
        public init() {}
    }

    /// Sends `method path?query` with `body` as JSON (if any) and decodes the JSON answer; for an
    /// answer without a body ask for ``NoContent``. Errors as ``get(_:query:as:)``.
    public func send<Body: Encodable, Response: Decodable>(
        _ method: String,
        _ path: String,
        query: [(String, String)] = [],
        body: Body?,
        as type: Response.Type = Response.self
    ) async throws(InternalAPIError) -> Response {
        let target = query.isEmpty ? path : path + "?" + query.map { "\(Self.queryValue($0))=\(Self.queryValue($1))" }.joined(separator: "&")
        let requestLine = "\(method) \(target)"
        guard let url = URL(httpURLWithSocketPath: socketPath, uri: target) else {
            throw InternalAPIError(request: requestLine, socketPath: socketPath, status: nil, code: InternalAPIError.invalidRequest,
                                   message: "cannot build a URL for this socket path and route")
        }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            do {
                request.body = .bytes(ByteBuffer(bytes: Array(try JSONEncoder().encode(body))))
            } catch {
                throw InternalAPIError(request: requestLine, socketPath: socketPath, status: nil, code: InternalAPIError.invalidRequest,
                                       message: "the body does not encode: \(error)")
            }
            request.headers.add(name: "Content-Type", value: "application/json")
        }

        let status: Int
        let responseBody: ByteBuffer
        do {
            let response = try await httpClient.execute(request, timeout: timeout)
            status = Int(response.status.code)
            responseBody = try await response.body.collect(upTo: Self.maximumResponseBytes)
        } catch {
            throw InternalAPIError(request: requestLine, socketPath: socketPath, status: nil, code: InternalAPIError.unreachable,
                                   message: "\(error)")
        }
        let data = Data(responseBody.readableBytesView)
        guard (200..<300).contains(status) else {
            let detail = try? JSONDecoder().decode(ErrorBody.self, from: data).error
            throw InternalAPIError(request: requestLine, socketPath: socketPath, status: status,
                                   code: detail?.code ?? "http_\(status)",
                                   message: detail?.message ?? String(decoding: data.prefix(200), as: UTF8.self))
        }
        if data.isEmpty, let none = NoContent() as? Response { return none }
        do {
            return try JSONDecoder().decode(Response.self, from: data)
        } catch {
            throw InternalAPIError(request: requestLine, socketPath: socketPath, status: status, code: InternalAPIError.invalidResponse,
                                   message: "the answer does not decode as \(Response.self): \(error)")
        }
    }

    /// ``get(_:query:as:)`` with 404 mapped to nil, for lookups where "none" is an ordinary answer.
    private func getUnlessNotFound<Response: Decodable>(
        _ path: String,
        query: [(String, String)] = []
    ) async throws(InternalAPIError) -> Response? {
        do {
            return try await get(path, query: query, as: Response.self)
        } catch where error.status == 404 {
            return nil
        }
    }

    /// `{"error": {"code": ..., "message": ...}}`, the API's error shape.
    private struct ErrorBody: Decodable {
        struct Detail: Decodable {
            var code: String
            var message: String
        }
        var error: Detail
    }

    /// RFC 3986 unreserved characters pass; everything else (`/`, `+`, `=`, `&`, ...) is percent-encoded.
    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    private static func queryValue(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    private static func pathSegment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }
}
