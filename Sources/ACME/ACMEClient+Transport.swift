import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// HTTP and JWS plumbing: every request, the nonce pool, signed POSTs and the `badNonce` retry.
extension ACMEClient {
    /// Bodies are small JSON documents or a certificate chain: refuse anything absurd.
    static let maximumBodySize = 1 << 20

    /// Sends one request and collects the answer; remembers its `Replay-Nonce`.
    /// - Throws: ``ACMEError`` `.requestFailed` when there is no answer (or `failureKind` instead).
    func send(
        _ method: HTTPMethod, _ url: String, body: [UInt8]? = nil, contentType: String? = nil,
        accept: String? = nil, failureKind: ACMEError.Kind = .requestFailed
    ) async throws -> ACMEResponse {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "User-Agent", value: "paastech-acme/1")
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let accept { request.headers.add(name: "Accept", value: accept) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response: ACMEResponse
        do {
            let answer = try await httpClient.execute(request, timeout: .init(polling.requestTimeout), logger: logger)
            var collected = try await answer.body.collect(upTo: Self.maximumBodySize)
            response = ACMEResponse(
                url: url, status: Int(answer.status.code), headers: answer.headers,
                body: collected.readBytes(length: collected.readableBytes) ?? [])
        } catch let error as CancellationError {
            throw error
        } catch {
            throw ACMEError(failureKind, url: url, detail: "\(method) failed: \(error)")
        }
        if let nonce = response.headers.first(name: "Replay-Nonce"), !nonce.isEmpty {
            nonces.append(nonce)
        }
        return response
    }

    /// The directory, fetched once.
    func directory() async throws -> ACMEDirectory {
        if let cachedDirectory { return cachedDirectory }
        let response = try await send(.GET, directoryURL, accept: "application/json", failureKind: .directoryUnreachable)
        guard response.isSuccess else {
            throw ACMEError(.directoryUnreachable, url: directoryURL, httpStatus: response.status, problem: response.problem,
                            detail: "the directory answered HTTP \(response.status): \(response.bodyExcerpt)")
        }
        let directory: ACMEDirectory
        do {
            directory = try response.decode(ACMEDirectory.self, what: "directory")
        } catch let error as ACMEError {
            throw ACMEError(.directoryUnreachable, url: directoryURL, httpStatus: response.status, detail: error.detail)
        }
        cachedDirectory = directory
        return directory
    }

    /// A fresh anti-replay nonce: one a previous response gave, or a new one from `newNonce`.
    func nonce() async throws -> String {
        if let nonce = nonces.popLast() { return nonce }
        let url = try await directory().newNonce
        let response = try await send(.HEAD, url)
        guard response.isSuccess || response.status == 204, let nonce = nonces.popLast() else {
            throw ACMEError(.unexpectedResponse, url: url, httpStatus: response.status, detail: "newNonce returned no Replay-Nonce header")
        }
        return nonce
    }

    /// A signed POST (RFC 8555 §6.2): `payload` as JSON, or nil for POST-as-GET. Signed with the
    /// account URL as `kid`, or with the public key as `jwk` when `keyID` is nil (newAccount). A
    /// `badNonce` refusal is retried once with the nonce that came with it (§6.5).
    /// - Throws: ``ACMEError`` `.serverProblem` for an error status.
    func post(_ url: String, payload: [UInt8]?, keyID: String?, accept: String? = nil) async throws -> ACMEResponse {
        var attempt = 0
        while true {
            attempt += 1
            let body: [UInt8]
            do {
                body = try accountKey.sign(payload: payload, url: url, nonce: try await nonce(), keyID: keyID)
            } catch let error as ACMEError {
                throw error
            } catch let error as CancellationError {
                throw error
            } catch {
                throw ACMEError(.invalidRequest, url: url, detail: "signing the request failed: \(error)")
            }
            let response = try await send(.POST, url, body: body, contentType: "application/jose+json", accept: accept)
            if response.isSuccess { return response }
            let problem = response.problem
            if problem?.type == ACMEProblem.badNonce && attempt == 1 {
                logger.debug("ACME server refused the nonce; retrying once", metadata: ["url": "\(url)"])
                continue
            }
            throw ACMEError(.serverProblem, url: url, httpStatus: response.status, problem: problem,
                            detail: problem == nil ? "HTTP \(response.status): \(response.bodyExcerpt)" : "HTTP \(response.status)")
        }
    }

    /// `value` as a JSON payload.
    static func json(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        do {
            return Array(try encoder.encode(value))
        } catch {
            throw ACMEError(.invalidRequest, url: nil, detail: "encoding the request failed: \(error)")
        }
    }

    /// POST-as-GET `url` until `isDone` says the object reached a final state, pausing as the server asks
    /// (`Retry-After`) or with a doubling interval, for at most ``ACMEPollingPolicy/timeout``.
    func poll<Value: Decodable>(
        _ url: String, what: String, keyID: String, isDone: (Value) -> Bool
    ) async throws -> Value {
        let deadline = ContinuousClock.now + polling.timeout
        var pause = polling.interval
        while true {
            let response = try await post(url, payload: nil, keyID: keyID)
            let value = try response.decode(Value.self, what: what)
            if isDone(value) { return value }
            let left = deadline - ContinuousClock.now
            guard left > .zero else {
                throw ACMEError(.timeout, url: url, detail: "the \(what) was still not final after \(polling.timeout)")
            }
            let wait = response.retryAfter.map { min($0, polling.maximumRetryAfter) } ?? pause
            try await Task.sleep(for: min(wait, left))
            pause = min(pause * 2, polling.maximumInterval)
        }
    }
}
