/// Which project and deployment something belongs to, by id and by name (names are for people:
/// log fields, host names; ids are what state is keyed by).
public struct DeploymentIdentity: Codable, Sendable, Hashable {
    public var projectID: String
    public var projectName: String
    public var deploymentID: String
    public var deploymentName: String

    public init(projectID: String, projectName: String, deploymentID: String, deploymentName: String) {
        self.projectID = projectID
        self.projectName = projectName
        self.deploymentID = deploymentID
        self.deploymentName = deploymentName
    }
}
