import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One collected answer of the ACME server.
struct ACMEResponse: Sendable {
    /// The URL that was requested.
    let url: String
    let status: Int
    let headers: HTTPHeaders
    let body: [UInt8]

    var isSuccess: Bool { (200..<300).contains(status) }

    /// The `Location` header: the URL of a created account or order.
    var location: String? { headers.first(name: "Location") }

    /// `Retry-After` as a pause: delay-seconds or an HTTP-date (RFC 9110 §10.2.3); nil when absent or unreadable.
    var retryAfter: Duration? {
        guard let value = headers.first(name: "Retry-After")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Int(value) { return .seconds(max(seconds, 0)) }
        guard let date = Self.httpDateFormatter.date(from: value) else { return nil }
        return .milliseconds(max(Int(date.timeIntervalSinceNow * 1000), 0))
    }

    /// The body decoded as JSON; a body that does not decode is the server's fault.
    func decode<Value: Decodable>(_ type: Value.Type, what: String) throws -> Value {
        do {
            return try JSONDecoder().decode(Value.self, from: Data(body))
        } catch {
            throw ACMEError(.unexpectedResponse, url: url, httpStatus: status,
                            detail: "the \(what) is not valid JSON of the expected shape: \(error); body: \(bodyExcerpt)")
        }
    }

    /// The server's problem document, when the body is one.
    var problem: ACMEProblem? {
        try? JSONDecoder().decode(ACMEProblem.self, from: Data(body))
    }

    /// The start of the body, for error messages.
    var bodyExcerpt: String {
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        return body.count > 300 ? text + "…" : text
    }

    /// IMF-fixdate, the only HTTP-date form servers send today.
    private static var httpDateFormatter: DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter
    }
}
