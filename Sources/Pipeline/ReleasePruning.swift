import Foundation

/// Deletes old releases of one deployment: `<releases>/<deployment-uuid>/v<N>.json` specifications (and
/// their build logs), and names the `v<K>/` builds no kept specification runs (a rollback or a configuration
/// change reuses a build). Those belong to the project's uid once built, so pomegranate deletes them.
struct ReleasePruning {
    let deploymentDirectory: String
    /// The newest this many specifications are kept, besides the protected ones.
    let kept: Int

    /// - Parameter protecting: Releases never pruned: the serving one and the one it replaced.
    /// - Returns: The releases whose specification was deleted, oldest first, and the paths of the builds no
    ///   longer used. Failures to delete are skipped: pruning must never fail a deploy.
    func prune(protecting protected: [String]) -> (releases: [String], unusedBuilds: [String]) {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: deploymentDirectory)) ?? []
        let specifications = entries.compactMap { name -> (version: Int, release: String)? in
            guard name.hasSuffix(".json"), name.hasPrefix("v"), let version = Int(name.dropFirst().dropLast(5)) else { return nil }
            return (version, String(name.dropLast(5)))
        }.sorted { $0.version > $1.version }
        let keep = Set(specifications.prefix(kept).map(\.release)).union(protected)
        var pruned: [String] = []
        var buildsInUse: Set<String> = []
        for specification in specifications {
            let path = ReleaseSpecification.path(deploymentDirectory: deploymentDirectory, release: specification.release)
            if keep.contains(specification.release) {
                if let spec = try? ReleaseSpecification.read(path: path) { buildsInUse.insert((spec.directory as NSString).lastPathComponent) }
                buildsInUse.insert(specification.release)
            } else if (try? FileManager.default.removeItem(atPath: path)) != nil {
                pruned.append(specification.release)
                try? FileManager.default.removeItem(atPath: BuildLog.path(deploymentDirectory: deploymentDirectory, release: specification.release))
            }
        }
        // Builds: v<K> directories no kept specification runs (failed releases' leftovers too), but only below the
        // newest specification: a higher one may be a build in progress for a concurrent push.
        let newest = specifications.first?.version ?? 0
        let unusedBuilds = entries.filter { name in
            guard name.hasPrefix("v"), !buildsInUse.contains(name), let version = Int(name.dropFirst()) else { return false }
            return version < newest
        }.sorted().map { deploymentDirectory + "/" + $0 }
        return (pruned.reversed(), unusedBuilds)
    }
}
