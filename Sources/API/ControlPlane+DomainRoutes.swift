import Foundation
import Hummingbird
import Store

/// Custom domains of a deployment (`shop.example.com` → `web` of `shop`), which the edge routes and gets
/// certificates for. Open to the project's owner and to administrators; anyone else gets the 404 of a
/// missing project.
extension ControlPlane {
    struct DomainRequest: Decodable { var hostname: String }

    func addDomainRoutes(to v1: RouterGroup<APIRequestContext>) {
        v1.get("projects/:uuid/deployments/:deployment/domains") { _, context in
            let viewer = try context.ownerOrAdministrator()
            let (deployment, _) = try await requireProjectDeployment(context, viewer: viewer)
            guard let domains = try await store.domains(deploymentUUID: deployment.uuid, for: viewer) else {
                throw APIError.notFound("deployment")
            }
            return ListBody(items: domains.map(DomainBody.init))
        }

        v1.post("projects/:uuid/deployments/:deployment/domains") { request, context in
            let viewer = try context.ownerOrAdministrator()
            let (deployment, project) = try await requireProjectDeployment(context, viewer: viewer)
            let body = try await request.decodeJSON(DomainRequest.self, context: context)
            let hostname = try customDomain(body.hostname)
            let added: Domain?
            do {
                added = try await store.addDomain(hostname: hostname, deploymentUUID: deployment.uuid, for: viewer)
            } catch StoreError.conflict(field: "hostname", let message) {
                // Whoever has it: the answer does not say, so it reveals nothing about other users' projects.
                throw APIError(.conflict, code: "domain_taken", message)
            }
            guard let domain = added else { throw APIError.notFound("deployment") }
            await audit(context, "domain.added", target: domain.hostname, details: ["deployment": "\(project.name)/\(deployment.name)"])
            return EditedResponse(status: .created, response: DomainBody(domain))
        }

        v1.delete("projects/:uuid/deployments/:deployment/domains/:hostname") { _, context in
            let viewer = try context.ownerOrAdministrator()
            let (deployment, project) = try await requireProjectDeployment(context, viewer: viewer)
            let hostname = try context.parameters.require("hostname")
            guard try await store.deleteDomain(hostname: hostname, deploymentUUID: deployment.uuid, for: viewer) else {
                throw APIError.notFound("domain")
            }
            await audit(context, "domain.deleted", target: (try? Validation.hostname(hostname)) ?? hostname,
                        details: ["deployment": "\(project.name)/\(deployment.name)"])
            return Response(status: .noContent)
        }
    }

    /// The deployment of the `:deployment` parameter in the project of the `:uuid` parameter, as `viewer` sees
    /// them: a project the viewer cannot see is 404 `project not found`, whatever the deployment.
    func requireProjectDeployment(_ context: APIRequestContext, viewer: Viewer) async throws -> (Deployment, Project) {
        let projectUUID = try context.uuidParameter()
        let deploymentUUID = try context.uuidParameter("deployment")
        guard let project = try await store.project(uuid: projectUUID, for: viewer) else { throw APIError.notFound("project") }
        guard let deployment = try await store.deployment(uuid: deploymentUUID, for: viewer), deployment.projectUUID == project.uuid else {
            throw APIError.notFound("deployment")
        }
        return (deployment, project)
    }

    /// A host name a user may attach: a well-formed DNS name (normalised to lower case, see
    /// `Validation.hostname`) that is not one the platform answers itself, i.e. neither `apps_domain` nor
    /// anything under it (the generated `<deployment>.<project>.<apps_domain>` and `<project>.<apps_domain>`),
    /// nor `<domain>`, `console.<domain>` or `api.<domain>`.
    /// - Throws: ``APIError`` 422 `invalid_hostname`, the message naming the field.
    func customDomain(_ text: String) throws(APIError) -> String {
        let hostname: String
        do {
            hostname = try Validation.hostname(text)
        } catch {
            throw APIError(.unprocessableContent, code: "invalid_hostname", "\(error)")
        }
        let apps = configuration.platform.appsDomain.lowercased()
        if hostname == apps || hostname.hasSuffix("." + apps) {
            throw APIError(.unprocessableContent, code: "invalid_hostname",
                           "hostname \(hostname) is under \(apps), where the platform names apps itself; use a name of a domain of yours")
        }
        let domain = configuration.platform.domain.lowercased()
        if [domain, "console.\(domain)", "api.\(domain)"].contains(hostname) {
            throw APIError(.unprocessableContent, code: "invalid_hostname", "hostname \(hostname) is one of the platform's own names")
        }
        return hostname
    }
}
