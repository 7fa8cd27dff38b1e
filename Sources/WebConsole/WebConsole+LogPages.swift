import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A deployment's logs: the recent history (it survives redeploys), filtered by instance, followed live
/// (server-sent events from the API, passed through), and downloadable as text.
extension WebConsole {
    func addLogPages(to router: Router<ConsoleRequestContext>) {
        router.get("deployments/:uuid/logs") { request, context in
            guard context.user != nil else { return context.signInRedirect(request) }
            guard let uuid = Self.uuid(context) else { return notFound(context) }
            let instance = Self.instanceFilter(request)
            let deployment = try await call(.GET, "/deployments/\(uuid)", context)
            guard deployment.succeeded else { return notFound(context) }
            let lines = try await call(.GET, "/deployments/\(uuid)/logs?tail=500" + Self.instanceQuery(instance), context)
            let status = try await call(.GET, "/deployments/\(uuid)/status", context)
            var choices = Set(lines.items.compactMap { $0["instance"] as? String })
            for running in status.json["instances"] as? [[String: Any]] ?? [] { if let id = running["id"] as? String { choices.insert(id) } }
            let query = Self.instanceQuery(instance).replacingOccurrences(of: "&", with: "?")
            var values = deployment.json
            values["lines"] = lines.items.map(Self.logLine)
            values["empty"] = lines.items.isEmpty
            values["instances"] = choices.sorted().map { ["id": $0, "selected": $0 == instance] }
            values["everything"] = instance == nil
            // The live stream starts after the last line shown.
            let last = lines.items.compactMap { $0["id"] as? Int }.max() ?? 0
            values["stream"] = "/deployments/\(uuid)/logs/stream" + (query.isEmpty ? "?" : query + "&") + "since=\(last)"
            values["download"] = "/deployments/\(uuid)/logs.txt" + query
            return render("logs", "Logs of \(deployment.json["name"] as? String ?? "a deployment")", values, context: context,
                          problem: lines.succeeded ? nil : lines.errorMessage)
        }
        router.get("deployments/:uuid/logs.txt") { request, context in
            guard context.user != nil else { return context.signInRedirect(request) }
            guard let uuid = Self.uuid(context) else { return notFound(context) }
            let lines = try await call(.GET, "/deployments/\(uuid)/logs?tail=10000" + Self.instanceQuery(Self.instanceFilter(request)), context)
            guard lines.succeeded else { return notFound(context) }
            let text = lines.items.map { line in
                let l = Self.logLine(line)
                return "\(l["time"] ?? "") \(l["instance"] ?? "") \(l["stream"] ?? ""): \(l["text"] ?? "")\n"
            }.joined()
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8",
                                                   .contentDisposition: "attachment; filename=\"\(uuid).log\""],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        // New lines only (the page already shows the history), as the API's server-sent events.
        router.get("deployments/:uuid/logs/stream") { request, context in
            guard context.user != nil else { return Response(status: .unauthorized) }
            guard let uuid = Self.uuid(context) else { return notFound(context) }
            let since = request.uri.queryParameters.get("since", as: Int64.self) ?? 0
            let upstream = try await api.stream("/deployments/\(uuid)/logs?follow=true&tail=0&since=\(since)"
                                                    + Self.instanceQuery(Self.instanceFilter(request)),
                                                token: context.token, clientAddress: context.clientAddress,
                                                lastEventID: request.headers[.lastEventID])
            guard upstream.status == .ok else { return Response(status: .init(code: Int(upstream.status.code))) }
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                            body: ResponseBody { writer in
                                for try await chunk in upstream.body { try await writer.write(chunk) }
                                try await writer.finish(nil)
                            })
        }
    }

    static func instanceFilter(_ request: Request) -> String? {
        // Used in URLs to the API: [a-z0-9-] only.
        guard let value = request.uri.queryParameters.get("instance"), !value.isEmpty,
              value.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d }) else { return nil }
        return value
    }

    static func instanceQuery(_ instance: String?) -> String {
        instance.map { "&instance=" + $0 } ?? ""
    }

    /// `2026-11-24T19:12:51.123Z` → `19:12:51`, with the date when it is not today's.
    static func logLine(_ line: [String: Any]) -> [String: Any] {
        var row = line
        let time = line["time"] as? String ?? ""
        row["time"] = time.count >= 19 ? time.prefix(10) + " " + time.dropFirst(11).prefix(8) : time
        row["isError"] = line["stream"] as? String == "stderr"
        return row
    }
}
