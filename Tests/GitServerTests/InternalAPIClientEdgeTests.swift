import Foundation
import InternalAPIClient
import Store
import Testing

@Suite("The typed client of the edge's internal routes")
struct InternalAPIClientEdgeTests {
    @Test("lists the edge's hosts and reports certificates; a generated name is not recorded")
    func edge() async throws {
        try await GitServerHarness.run { harness in
            let client = InternalAPIClient(socketPath: harness.configuration.paths.apiInternalSocket)
            #expect(try await client.edgeHosts().isEmpty, "no deployment, no domain")

            let site = try #require(try await harness.store.project(owner: "alice", name: "site"))
            let web = try await harness.store.upsertDeployment(projectUUID: site.uuid, name: "web")
            _ = try await harness.store.addDomain(hostname: "shop.example.com", deploymentUUID: web.uuid, for: .administrator)
            #expect(try await client.edgeHosts() == [
                .init(host: "shop.example.com", projectID: site.uuid, deploymentID: web.uuid, kind: .custom),
                .init(host: "site.apps.localhost", projectID: site.uuid, deploymentID: web.uuid, kind: .project),
            ])

            let expiry = Date(timeIntervalSince1970: 1_900_000_000)
            #expect(try await client.reportCertificate(host: "SHOP.example.com", status: "issued", expiresAt: expiry, error: nil))
            var domain = try #require(try await harness.store.domains(deploymentUUID: web.uuid, for: .administrator)?.first)
            #expect(domain.certificateStatus == .issued)
            #expect(domain.certificateExpiresAt == expiry)
            try await client.reportCertificate(host: "shop.example.com", status: "failed", expiresAt: nil, error: "no DNS")
            domain = try #require(try await harness.store.domains(deploymentUUID: web.uuid, for: .administrator)?.first)
            #expect(domain.certificateStatus == .failed)
            #expect(domain.certificateExpiresAt == nil)
            #expect(domain.certificateError == "no DNS")

            #expect(try await client.reportCertificate(host: "web.site.apps.localhost", status: "issued", expiresAt: expiry, error: nil) == false)
            let error = try await #require(throws: InternalAPIError.self) {
                try await client.reportCertificate(host: "shop.example.com", status: "revoked", expiresAt: nil, error: nil)
            }
            #expect(error.status == 422)
            #expect(error.code == "invalid_certificate_report")
        }
    }
}
