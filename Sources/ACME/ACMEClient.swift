import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import X509

/// An RFC 8555 (ACME) client that obtains certificates with HTTP-01 challenges.
///
/// One client speaks for one account (its key) at one directory. It signs requests with ES256, keeps the
/// anti-replay nonces the server hands out, registers the account on first use (`newAccount` with the
/// terms of service agreed; the server returns the existing account for a known key) and then runs the
/// whole order: new order → authorizations → challenges published through an ``HTTP01ChallengeResponder``
/// → finalize with a CSR → download the chain.
///
/// Every error is an ``ACMEError`` (or a `CancellationError` when the task is cancelled).
public actor ACMEClient {
    /// The server's directory URL, e.g. `https://acme-v02.api.letsencrypt.org/directory`.
    public let directoryURL: String
    /// `mailto:` URLs the CA may use to reach the operator.
    public let contact: [String]
    let accountKey: AccountKey
    let httpClient: HTTPClient
    let logger: Logger
    let polling: ACMEPollingPolicy

    var cachedDirectory: ACMEDirectory?
    /// Unused nonces from `Replay-Nonce` headers, each good for one request.
    var nonces: [String] = []
    /// The account URL (`kid`), once registered.
    var accountURL: String?

    /// - Parameters:
    ///   - directoryURL: The ACME directory.
    ///   - accountKey: The account's key; keep it: it is the account.
    ///   - contact: `mailto:` URLs, possibly none.
    ///   - httpClient: The client to use; see ``makeHTTPClient(additionalTrustRootsPEM:)``. The caller shuts it down.
    ///   - logger: Where progress is logged.
    ///   - polling: How long to wait for validation and issuance.
    public init(
        directoryURL: String,
        accountKey: P256.Signing.PrivateKey,
        contact: [String],
        httpClient: HTTPClient,
        logger: Logger,
        polling: ACMEPollingPolicy = ACMEPollingPolicy()
    ) {
        self.directoryURL = directoryURL
        self.accountKey = AccountKey(accountKey)
        self.contact = contact
        self.httpClient = httpClient
        self.logger = logger
        self.polling = polling
    }

    /// The RFC 7638 thumbprint of the account key, the suffix of every key authorization.
    public nonisolated var accountKeyThumbprint: String { accountKey.thumbprint }

    /// The key authorization for an HTTP-01 `token`: `token "." thumbprint`.
    public nonisolated func keyAuthorization(forToken token: String) -> String {
        accountKey.keyAuthorization(token: token)
    }

    /// The account URL, registering the account (or finding the existing one for this key) on first use.
    @discardableResult
    public func registerAccount() async throws -> String {
        if let accountURL { return accountURL }
        struct NewAccount: Encodable {
            let termsOfServiceAgreed: Bool
            let contact: [String]
        }
        let url = try await directory().newAccount
        let response = try await post(
            url, payload: try Self.json(NewAccount(termsOfServiceAgreed: true, contact: contact)), keyID: nil)
        guard let location = response.location else {
            throw ACMEError(.unexpectedResponse, url: url, httpStatus: response.status, detail: "newAccount returned no Location header")
        }
        logger.info(response.status == 201 ? "registered ACME account" : "using existing ACME account",
                    metadata: ["account": "\(location)", "directory": "\(directoryURL)"])
        accountURL = location
        return location
    }

    /// Obtains a certificate for `hostnames` (all in one certificate, the first as common name).
    ///
    /// The challenges are published through `responder` and withdrawn again before this returns,
    /// whether issuance succeeded or not.
    /// - Parameters:
    ///   - hostnames: DNS names; the server decides what it accepts (its refusal is an ``ACMEError``
    ///     with the server's ``ACMEProblem``).
    ///   - certificateKey: The key of the new certificate (not the account key).
    ///   - responder: Serves `/.well-known/acme-challenge/<token>` during validation.
    public func issueCertificate(
        for hostnames: [String],
        certificateKey: P256.Signing.PrivateKey,
        responder: some HTTP01ChallengeResponder
    ) async throws -> IssuedCertificate {
        guard !hostnames.isEmpty else {
            throw ACMEError(.invalidRequest, url: nil, detail: "a certificate needs at least one host name")
        }
        let account = try await registerAccount()
        let (orderURL, order) = try await newOrder(hostnames, account: account)
        logger.debug("ACME order created", metadata: ["order": "\(orderURL)", "names": "\(hostnames)"])

        var published: [String] = []
        do {
            for authorizationURL in order.authorizations {
                try await authorize(authorizationURL, account: account, responder: responder, published: &published)
            }
            let issued = try await finalize(orderURL: orderURL, order: order, hostnames: hostnames,
                                            certificateKey: certificateKey, account: account)
            await withdraw(published, from: responder)
            logger.info("certificate issued", metadata: [
                "names": "\(hostnames)", "serial": "\(issued.leaf.serialNumber)", "notAfter": "\(issued.notAfter)",
            ])
            return issued
        } catch {
            await withdraw(published, from: responder)
            throw error
        }
    }

    // MARK: - Steps

    private func newOrder(_ hostnames: [String], account: String) async throws -> (url: String, order: ACMEOrder) {
        struct NewOrder: Encodable {
            let identifiers: [ACMEIdentifier]
        }
        let url = try await directory().newOrder
        let response = try await post(url, payload: try Self.json(NewOrder(identifiers: hostnames.map(ACMEIdentifier.init(dns:)))),
                                      keyID: account)
        guard let location = response.location else {
            throw ACMEError(.unexpectedResponse, url: url, httpStatus: response.status, detail: "newOrder returned no Location header")
        }
        let order = try response.decode(ACMEOrder.self, what: "order")
        if order.status == "invalid" {
            throw ACMEError(.orderFailed, url: location, problem: order.error, detail: "the new order is already invalid")
        }
        return (location, order)
    }

    /// Brings one authorization to `valid`: publishes its HTTP-01 answer, tells the server to check it,
    /// waits for the verdict. An authorization that is already valid (reused by the server) needs nothing.
    private func authorize(
        _ url: String, account: String, responder: some HTTP01ChallengeResponder, published: inout [String]
    ) async throws {
        let authorization = try await post(url, payload: nil, keyID: account).decode(ACMEAuthorization.self, what: "authorization")
        switch authorization.status {
        case "valid":
            return
        case "pending":
            break
        default:
            throw ACMEError(.authorizationFailed, url: url, problem: authorization.failure,
                            detail: "the authorization for \(authorization.identifier) is \(authorization.status)")
        }
        guard let challenge = authorization.challenges.first(where: { $0.type == "http-01" }) else {
            let offered = authorization.challenges.map(\.type).joined(separator: ", ")
            throw ACMEError(.authorizationFailed, url: url,
                            detail: "the server offers no http-01 challenge for \(authorization.identifier) (only \(offered))")
        }
        guard let token = challenge.token, !token.isEmpty else {
            throw ACMEError(.unexpectedResponse, url: challenge.url, detail: "the http-01 challenge has no token")
        }
        await responder.publish(token: token, keyAuthorization: accountKey.keyAuthorization(token: token))
        published.append(token)
        if challenge.status == "pending" {
            // `{}` tells the server the answer is in place (RFC 8555 §7.5.1).
            _ = try await post(challenge.url, payload: Array("{}".utf8), keyID: account)
        }
        let final: ACMEAuthorization = try await poll(url, what: "authorization", keyID: account) {
            $0.status != "pending"
        }
        guard final.status == "valid" else {
            throw ACMEError(.authorizationFailed, url: url, problem: final.failure,
                            detail: "validating \(final.identifier) ended \(final.status)")
        }
        logger.debug("ACME authorization valid", metadata: ["identifier": "\(final.identifier)"])
    }

    /// Waits for the order to be ready, sends the CSR, waits for the certificate and downloads it.
    private func finalize(
        orderURL: String, order: ACMEOrder, hostnames: [String], certificateKey: P256.Signing.PrivateKey, account: String
    ) async throws -> IssuedCertificate {
        var current: ACMEOrder = order
        if current.status == "pending" {
            current = try await poll(orderURL, what: "order", keyID: account) { $0.status != "pending" }
        }
        if current.status == "ready" {
            struct Finalize: Encodable {
                let csr: String
            }
            let csr: [UInt8]
            do {
                csr = try Self.certificateSigningRequest(for: hostnames, key: certificateKey)
            } catch {
                throw ACMEError(.invalidRequest, url: current.finalize, detail: "building the CSR failed: \(error)")
            }
            let response = try await post(current.finalize, payload: try Self.json(Finalize(csr: Base64URL.encode(csr))), keyID: account)
            current = try response.decode(ACMEOrder.self, what: "order")
        }
        if current.status == "processing" {
            current = try await poll(orderURL, what: "order", keyID: account) { $0.status != "processing" }
        }
        guard current.status == "valid" else {
            throw ACMEError(current.status == "invalid" ? .orderFailed : .unexpectedResponse, url: orderURL, problem: current.error,
                            detail: "the order is \(current.status), not valid")
        }
        guard let certificateURL = current.certificate else {
            throw ACMEError(.unexpectedResponse, url: orderURL, detail: "the valid order has no certificate URL")
        }
        let response = try await post(certificateURL, payload: nil, keyID: account, accept: "application/pem-certificate-chain")
        let pem = String(decoding: response.body, as: UTF8.self)
        return IssuedCertificate(chainPEM: pem, certificates: try Self.parseChain(pem, url: certificateURL))
    }

    private func withdraw(_ tokens: [String], from responder: some HTTP01ChallengeResponder) async {
        for token in tokens {
            await responder.withdraw(token: token)
        }
    }
}
