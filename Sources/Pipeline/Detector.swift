import Foundation
import TOMLKit

/// Decides what a pushed tree contains: the deployments a root `paastech.toml` declares, or one
/// deployment `web` detected from a Procfile and the language files at the root.
public enum Detector {
    public static func detect(root: String) throws(PipelineError) -> [DetectedDeployment] {
        let manifestPath = root + "/paastech.toml"
        if FileManager.default.fileExists(atPath: manifestPath) {
            return try ProjectManifest.load(path: manifestPath).deployments(root: root)
        }
        return [try detectOne(name: "web", root: root, path: "", declared: nil)]
    }

    /// The recipe for the deployment in `root/path`; `declared` are paastech.toml's build/run/port/healthcheck.
    static func detectOne(name: String, root: String, path: String, declared: ProjectManifest.Deployment?) throws(PipelineError) -> DetectedDeployment {
        let directory = path.isEmpty ? root : root + "/" + path
        let files = Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        guard !files.isEmpty || declared?.run != nil else { throw .undetectable(path: path) }
        var procfile: Procfile?
        if files.contains("Procfile"), let text = try? String(contentsOfFile: directory + "/Procfile", encoding: .utf8) {
            procfile = try Procfile(parsing: text, file: (path.isEmpty ? "" : path + "/") + "Procfile")
        }
        guard var recipe = language(files: files, directory: directory, procfile: procfile) ?? declared.flatMap({ _ in
            BuildRecipe(builder: "custom", buildScript: "", runCommand: "", kind: .web)
        }) else {
            throw .undetectable(path: path)
        }
        if let declared {
            if let build = declared.build { recipe.buildScript = build; recipe.builder = recipe.builder == "static" ? "custom" : recipe.builder }
            if let run = declared.run { recipe.runCommand = run }
            if let port = declared.port { recipe.port = port }
            if let healthCheck = declared.healthCheck { recipe.healthCheckPath = healthCheck }
            if declared.worker == true { recipe.kind = .worker }
        }
        guard !recipe.runCommand.isEmpty else {
            throw .manifest(file: (path.isEmpty ? "" : path + "/") + "Procfile", problem: "no `web:` command: say how to start the app")
        }
        if declared?.sleepAfterSeconds != nil, recipe.kind == .worker {
            throw .manifest(file: ProjectManifest.file, problem: "[deployments.\(name)] sleep_after: a worker gets no requests to wake it")
        }
        return DetectedDeployment(name: name, path: path, recipe: recipe, instances: declared?.instances,
                                  memoryMiB: declared?.memoryMiB, cpu: declared?.cpu, egress: declared?.egress ?? true,
                                  sleepAfterSeconds: declared?.sleepAfterSeconds, maxBodyBytes: declared?.maxBodyBytes)
    }

    /// The language builders, in order of precedence. A Procfile's `web:` (else `worker:`) line is the run command.
    static func language(files: Set<String>, directory: String, procfile: Procfile?) -> BuildRecipe? {
        let web = procfile?.processes["web"]
        let worker = procfile?.processes["worker"]
        let kind: BuildRecipe.Kind = web == nil && worker != nil ? .worker : .web
        let procfileCommand = web ?? worker
        if files.contains("requirements.txt") || files.contains("pyproject.toml") {
            let install = files.contains("requirements.txt") ? "pip install --no-input -r requirements.txt" : "pip install --no-input ."
            let entry = ["app.py", "main.py", "server.py"].first(where: files.contains)
            return BuildRecipe(
                builder: "python",
                buildScript: "python3 -m venv /app/.venv && . /app/.venv/bin/activate && \(install)",
                runCommand: procfileCommand ?? entry.map { "python3 \($0)" } ?? "",
                kind: kind, environment: ["PATH": "/app/.venv/bin:/usr/local/bin:/usr/bin:/bin", "VIRTUAL_ENV": "/app/.venv",
                                          "PYTHONUNBUFFERED": "1"])
        }
        if files.contains("package.json") {
            let install = files.contains("package-lock.json") ? "npm ci --no-audit --no-fund" : "npm install --no-audit --no-fund"
            let hasDependencies = (try? String(contentsOfFile: directory + "/package.json", encoding: .utf8))
                .map { $0.contains("\"dependencies\"") || $0.contains("\"devDependencies\"") } ?? false
            return BuildRecipe(
                builder: "node",
                buildScript: (hasDependencies ? install + " && " : "") + "npm run build --if-present",
                runCommand: procfileCommand ?? "npm start", kind: kind,
                environment: ["NODE_ENV": "production"])
        }
        if files.contains("go.mod") {
            return BuildRecipe(builder: "go", buildScript: "mkdir -p bin && go build -o bin/app .",
                               runCommand: procfileCommand ?? "/app/bin/app", kind: kind,
                               environment: [:])
        }
        if files.contains("Package.swift") {
            return BuildRecipe(builder: "swift", buildScript: "swift build -c release --cache-path /data/swiftpm",
                               runCommand: procfileCommand ?? "", kind: kind)
        }
        if files.contains("index.html") {
            return BuildRecipe(builder: "static", buildScript: "",
                               runCommand: procfileCommand ?? "python3 -m http.server \"$PORT\" --bind 0.0.0.0 --directory /app",
                               kind: kind)
        }
        if let procfileCommand {
            return BuildRecipe(builder: "procfile", buildScript: "", runCommand: procfileCommand, kind: kind)
        }
        return nil
    }
}
