import AsyncHTTPClient
import NIOCore
import NIOSSL

extension ACMEClient {
    /// An HTTP client for talking to an ACME server: the system's trust store plus, when given, extra
    /// roots (a test server such as pebble, or a private ACME CA, serves its API with its own CA).
    /// Redirects are not followed (ACME never needs them and a JWS is bound to its URL).
    ///
    /// The caller owns the client and must `shutdown()` it.
    /// - Parameters:
    ///   - additionalTrustRootsPEM: PEM certificates to trust besides the system's roots.
    ///   - connectTimeout: How long to keep trying to connect (the client retries refused connections
    ///     until then, so this is also how long an unreachable server takes to be reported).
    /// - Throws: ``ACMEError`` (`.invalidRequest`) when the PEM holds no readable certificate.
    public static func makeHTTPClient(additionalTrustRootsPEM: String? = nil, connectTimeout: Duration = .seconds(10)) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let additionalTrustRootsPEM {
            let roots: [NIOSSLCertificate]
            do {
                roots = try NIOSSLCertificate.fromPEMBytes(Array(additionalTrustRootsPEM.utf8))
            } catch {
                throw ACMEError(.invalidRequest, url: nil, detail: "the additional trust roots are not PEM certificates: \(error)")
            }
            guard !roots.isEmpty else {
                throw ACMEError(.invalidRequest, url: nil, detail: "the additional trust roots hold no certificate")
            }
            tls.additionalTrustRoots = [.certificates(roots)]
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow)
        configuration.timeout = .init(connect: TimeAmount(connectTimeout), read: .seconds(60))
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }
}
