import Foundation
import Postgres

extension PlatformStore {
    /// Records a security-relevant action. `details` is a small JSON object (never secrets).
    public func audit(actor: User?, action: String, target: String = "", remoteAddress: String = "",
                      details: [String: String] = [:]) async throws {
        let json = String(decoding: (try? JSONEncoder().encode(details)) ?? Data("{}".utf8), as: UTF8.self)
        try await database.execute("""
            INSERT INTO audit_log (actor_id, actor_name, action, target, remote_address, details)
            VALUES ($1, $2, $3, $4, $5, $6::jsonb)
            """, [actor.map { .int($0.id) } ?? .null, .text(actor?.username ?? ""), .text(action), .text(target),
                  .text(remoteAddress), .json(json)])
    }

    public func auditLog(limit: Int = 200) async throws -> [AuditEntry] {
        try await database.query("""
            SELECT id, at, actor_name, action, target, remote_address FROM audit_log ORDER BY id DESC LIMIT $1
            """, [.int(Int64(limit))]).map { row in
            AuditEntry(
                id: try row.decode("id", as: Int64.self), at: try row.decode("at", as: Date.self),
                actorName: try row.decode("actor_name", as: String.self), action: try row.decode("action", as: String.self),
                target: try row.decode("target", as: String.self), remoteAddress: try row.decode("remote_address", as: String.self))
        }
    }
}
