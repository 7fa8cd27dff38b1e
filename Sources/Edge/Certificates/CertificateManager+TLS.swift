import NIOSSL

extension CertificateManager {
    /// The NIOSSL callback that picks each handshake's certificate by its SNI name
    /// (``serverCertificate(forServerName:)``).
    public var sslContextCallback: NIOSSLContextCallback {
        { [self] values, promise in
            promise.succeed(serverCertificate(forServerName: values.serverHostname).configurationOverride)
        }
    }

    /// A server TLS configuration for the edge's HTTPS listener: the generic fallback as the default
    /// certificate, the SNI callback above choosing the real one, and the given ALPN protocols.
    public func makeServerTLSConfiguration(applicationProtocols: [String] = ["h2", "http/1.1"]) -> TLSConfiguration {
        let fallback = genericFallback()
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: fallback.chain.map { .certificate($0) }, privateKey: .privateKey(fallback.privateKey))
        configuration.applicationProtocols = applicationProtocols
        configuration.sslContextCallback = sslContextCallback
        return configuration
    }
}
