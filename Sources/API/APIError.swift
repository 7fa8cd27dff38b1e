import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Postgres
import Store

/// Every failure a client sees: `{"error": {"code": "...", "message": "..."}}` with a status.
public struct APIError: Error, HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        let data = try JSONEncoder().encode(ErrorBody(error: .init(code: code, message: message)))
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    // The vocabulary of the API's errors.
    static func notFound(_ what: String) -> APIError { APIError(.notFound, code: "not_found", "\(what) not found") }
    static func invalid(_ message: String) -> APIError { APIError(.badRequest, code: "invalid_request", message) }
    static let unauthenticated = APIError(.unauthorized, code: "unauthenticated", "log in or send a valid bearer token")
    static let forbidden = APIError(.forbidden, code: "forbidden", "you may not do that")
}

/// `{"error": {"code": ..., "message": ...}}`
private struct ErrorBody: Encodable {
    struct Detail: Encodable { var code: String; var message: String }
    var error: Detail
}

/// Maps every error thrown below it to an `APIError`, so no route leaks a stack trace, SQL or
/// a non-JSON body, and unexpected failures are logged with the request id and answered 500.
struct ErrorMappingMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as StoreError {
            switch error {
            case .notFound(let what): throw APIError.notFound(what)
            case .conflict(_, let message): throw APIError(.conflict, code: "conflict", message)
            case .invalid(_, let message): throw APIError.invalid(message)
            }
        } catch let error as DecodingError {
            throw APIError.invalid(Self.describe(error))
        } catch let error as HTTPError {
            // Hummingbird's own (unknown route, body too large, ...), reshaped to our JSON.
            let code = error.status == .notFound ? "not_found" : error.status == .contentTooLarge ? "payload_too_large" : "http_error"
            throw APIError(error.status, code: code, error.body ?? error.status.reasonPhrase)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, code: "payload_too_large", "the request body is larger than \(context.maxUploadSize) bytes")
        } catch let error as PostgresError where error.kind == .invalidArgument {
            // e.g. a NUL character, which PostgreSQL text cannot hold: the client's data, not our fault.
            throw APIError.invalid(error.message)
        } catch let error as PostgresError where error.isCheckViolation {
            throw APIError.invalid("a value is out of the allowed range (\(error.constraint ?? "check"))")
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw APIError(.internalServerError, code: "internal_error", "internal error; the server log has the details")
        }
    }

    /// A one-line message naming the JSON field, without echoing the whole body back.
    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return "missing field '\(parent.isEmpty ? key.stringValue : parent + "." + key.stringValue)'"
        case .typeMismatch(let type, let context): return "field '\(path(context.codingPath))' must be \(Self.jsonName(type))"
        case .valueNotFound(let type, let context): return "field '\(path(context.codingPath))' must be \(Self.jsonName(type)), not null"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "the request body is not valid JSON" : "field '\(path(context.codingPath))' is invalid"
        @unknown default: return "the request body is invalid"
        }
    }

    private static func jsonName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        default: "of type \(type)"
        }
    }
}
