import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PomegranateRPC

/// What runs of a deployment, as Pomegranate reports it: its instances and state (running, sleeping,
/// crashed, ...), and its logs (instances, builds and platform events; history survives redeploys),
/// as JSON or followed live as server-sent events.
extension HTTPField.Name {
    static let lastEventID = Self("Last-Event-ID")!  // safe: a valid header name literal
}

extension ControlPlane {
    func addRuntimeRoutes(to v1: RouterGroup<APIRequestContext>) {
        v1.get("deployments/:uuid/status") { _, context in
            let (deployment, _) = try await requireDeployment(context)
            return DeploymentStatusBody(try await agents.status(deploymentID: deployment.uuid))
        }

        v1.get("deployments/:uuid/logs") { request, context -> Response in
            let (deployment, _) = try await requireDeployment(context)
            let query = request.uri.queryParameters
            let tail = min(max(query.get("tail", as: Int.self) ?? 200, 0), 10_000)
            let instance = try query.get("instance").map(Self.instanceFilter)
            // Only lines after this one (the `id` of a line; an EventSource reconnecting sends the last it saw).
            let since = query.get("since", as: Int64.self) ?? request.headers[.lastEventID].flatMap { Int64($0) } ?? 0
            guard query.get("follow") == "true" || request.headers[.accept]?.contains("text/event-stream") == true else {
                let lines = LogLines()
                do {
                    try await agents.logs(deploymentID: deployment.uuid, instance: instance, tail: tail, follow: false) {
                        if $0.timestampUnixUs > since { lines.append($0) }
                    }
                } catch let error as APIError {
                    throw error
                } catch {
                    throw APIError(.serviceUnavailable, code: "agent_unavailable", "could not read the logs from pomegranate")
                }
                let json = try context.responseEncoder.encode(ListBody(items: lines.all.map(LogLineBody.init)))
                return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: json)))
            }
            // Server-sent events: one `data:` JSON line per log line, until the client goes away.
            let agents = self.agents
            let encoder = context.responseEncoder
            let body = ResponseBody { writer in
                // The gRPC stream feeds a buffer the response drains; leaving the response stops the stream.
                let (lines, feed) = AsyncStream.makeStream(of: Paastech_Pomegranate_V1_LogLine.self, bufferingPolicy: .bufferingNewest(10_000))
                let reader = Task {
                    try? await agents.logs(deploymentID: deployment.uuid, instance: instance, tail: tail, follow: true) {
                        if $0.timestampUnixUs > since { feed.yield($0) }
                    }
                    feed.finish()
                }
                defer { reader.cancel() }
                for await line in lines {
                    var buffer = ByteBuffer(string: "id: \(line.timestampUnixUs)\ndata: ")
                    buffer.writeBytes(try encoder.encode(LogLineBody(line)))
                    buffer.writeString("\n\n")
                    try await writer.write(buffer)
                }
                try await writer.write(ByteBuffer(string: "event: end\ndata: the log stream ended\n\n"))
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
        }
    }

    /// An instance id (`web-3f2a9c`), `build-<id>` or `pomegranate`: [a-z0-9-], at most 64.
    static func instanceFilter(_ text: String) throws(APIError) -> String {
        guard !text.isEmpty, text.utf8.count <= 64,
              text.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d }) else {
            throw APIError(.unprocessableContent, code: "invalid_request", "instance: an instance id such as web-3f2a9c")
        }
        return text
    }
}

/// Log lines gathered from the stream before answering.
final class LogLines: @unchecked Sendable {  // appended to by one stream at a time, read after it ends
    private(set) var all: [Paastech_Pomegranate_V1_LogLine] = []
    func append(_ line: Paastech_Pomegranate_V1_LogLine) { all.append(line) }
}

struct LogLineBody: ResponseCodable {
    /// Microseconds since 1970: orders lines, and is the event id of the live stream (`since`, `Last-Event-ID`).
    var id: Int64
    var time: Date
    var instance: String
    var stream: String
    var text: String

    init(_ line: Paastech_Pomegranate_V1_LogLine) {
        id = line.timestampUnixUs
        time = Date(timeIntervalSince1970: Double(line.timestampUnixUs) / 1e6)
        instance = line.instanceID
        stream = line.stream
        text = line.text
    }
}

struct DeploymentStatusBody: ResponseCodable {
    struct Instance: Codable, Sendable {
        var id: String
        var release: String
        var state: String
        var address: String?
        var restarts: Int
        var startedAt: Date?
        var lastExit: String?
        enum CodingKeys: String, CodingKey { case id, release, state, address, restarts, startedAt = "started_at", lastExit = "last_exit" }
    }

    /// `running`, `starting`, `sleeping`, `crashed` (every instance backing off), `stopped`.
    var state: String
    var servingRelease: String?
    var desiredInstances: Int
    var sleepAfterSeconds: Int?
    var instances: [Instance]
    enum CodingKeys: String, CodingKey {
        case state, servingRelease = "serving_release", desiredInstances = "desired_instances",
             sleepAfterSeconds = "sleep_after_seconds", instances
    }

    init(_ status: Paastech_Pomegranate_V1_DeploymentStatus?) {
        guard let status else {
            state = "stopped"; desiredInstances = 0; instances = []
            return
        }
        instances = status.instances.map { instance in
            Instance(id: instance.id, release: instance.releaseID, state: Self.name(instance.state),
                     address: instance.address.isEmpty ? nil : instance.address, restarts: Int(instance.restarts),
                     startedAt: instance.startedAtUnixMs == 0 ? nil : Date(timeIntervalSince1970: Double(instance.startedAtUnixMs) / 1000),
                     lastExit: instance.lastExit.isEmpty ? nil : instance.lastExit)
        }
        servingRelease = status.servingReleaseID.isEmpty ? nil : status.servingReleaseID
        desiredInstances = Int(status.desiredInstances)
        sleepAfterSeconds = status.sleepAfterSeconds == 0 ? nil : Int(status.sleepAfterSeconds)
        let states = Set(instances.map(\.state))
        state = status.asleep ? "sleeping"
            : states.contains("running") ? "running"
            : states.contains("starting") ? "starting"
            : states.contains("backing-off") ? "crashed"
            : "stopped"
    }

    static func name(_ state: Paastech_Pomegranate_V1_Instance.State) -> String {
        switch state {
        case .starting: "starting"
        case .running: "running"
        case .backingOff: "backing-off"
        case .stopping: "stopping"
        case .stopped: "stopped"
        default: "unknown"
        }
    }
}
