import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// The API as the console calls it: JSON in and out, the user's session token as a bearer, and the
/// visitor's address passed on (the API's login throttle counts per address).
struct ConsoleAPI: Sendable {
    /// An API answer: its status and its JSON body (an object, or empty).
    struct Reply: @unchecked Sendable {  // JSON values from JSONSerialization: only read, never shared mutably
        var status: Int
        var json: [String: Any]

        var succeeded: Bool { (200..<300).contains(status) }
        /// The API's `{"error": {"code", "message"}}`, as a sentence for the page.
        var errorMessage: String {
            let error = json["error"] as? [String: Any]
            return error?["message"] as? String ?? "The request failed (HTTP \(status))."
        }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
        var items: [[String: Any]] { json["items"] as? [[String: Any]] ?? [] }
    }

    let baseURL: String
    let client: HTTPClient

    init(baseURL: String, client: HTTPClient = .shared) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.client = client
    }

    /// A streamed GET (server-sent events): the API's response, its body still to be read.
    func stream(_ path: String, token: String?, clientAddress: String?, lastEventID: String?) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: baseURL + "/v1" + path)
        request.headers.add(name: "Accept", value: "text/event-stream")
        if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let clientAddress { request.headers.add(name: "X-Forwarded-For", value: clientAddress) }
        return try await client.execute(request, timeout: .hours(12))
    }

    /// Calls `path` (under `/v1`) as `token`'s user. A network failure is thrown; every HTTP answer is returned.
    func call(_ method: HTTPMethod, _ path: String, token: String?, clientAddress: String?, body: [String: Any]? = nil,
              timeout: TimeAmount = .seconds(30)) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + "/v1" + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let clientAddress { request.headers.add(name: "X-Forwarded-For", value: clientAddress) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await client.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 8 << 20)
        let json = bytes.readableBytes == 0 ? [:] : (try? JSONSerialization.jsonObject(with: Data(buffer: bytes))) as? [String: Any] ?? [:]
        return Reply(status: Int(response.status.code), json: json)
    }
}
