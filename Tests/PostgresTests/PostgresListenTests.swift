import Postgres
import Testing

@Suite("LISTEN/NOTIFY on a dedicated connection")
struct PostgresListenTests {
    @Test("notifications arrive with their payloads, in order, on a channel name that needs quoting")
    func deliversInOrder() async throws {
        let db = try await makeClient(poolSize: 2)
        defer { db.close() }
        let channel = #"Deploy "events" ✓"#
        let stream = try await db.listen(channel: channel)
        let consumer = Task {
            var received: [PostgresNotification] = []
            for try await notification in stream {
                received.append(notification)
                if received.count == 20 { break }
            }
            return received
        }
        let payloads = (0..<20).map { "message \($0) 'quoted' ✓" }
        for payload in payloads { try await db.notify(channel: channel, payload: payload) }
        let received = try await consumer.value
        #expect(received.map(\.payload) == payloads)
        #expect(received.allSatisfy { $0.channel == channel && $0.senderPID > 0 })
    }

    @Test("a transaction's notification is delivered only if it commits")
    func notifyInTransaction() async throws {
        let db = try await makeClient(poolSize: 2)
        defer { db.close() }
        let stream = try await db.listen(channel: "jobs")
        struct Abort: Error {}
        try? await db.withTransaction { transaction in
            try await transaction.notify(channel: "jobs", payload: "rolled back")
            throw Abort()
        }
        try await db.withTransaction { try await $0.notify(channel: "jobs", payload: "committed") }
        var iterator = stream.makeAsyncIterator()
        #expect(try await iterator.next()?.payload == "committed")
    }

    @Test("the stream's connection closes when the consumer is cancelled")
    func cancellingTheConsumerClosesTheConnection() async throws {
        let name = uniqueName("listener")
        let db = try await makeClient(poolSize: 1, applicationName: name)
        let observer = try await makeClient(poolSize: 1)
        defer { db.close(); observer.close() }
        let stream = try await db.listen(channel: "ticks")
        let consumer = Task { for try await _ in stream {} }
        #expect(try await backendPIDs(observer, applicationName: name).count == 1)
        consumer.cancel()
        _ = await consumer.result
        #expect(try await eventually { try await backendPIDs(observer, applicationName: name).isEmpty })
    }

    @Test("closing the client ends its streams")
    func closeEndsStreams() async throws {
        let db = try await makeClient(poolSize: 1)
        let stream = try await db.listen(channel: "shutdown")
        let consumer = Task { () async throws -> Int in
            var count = 0
            for try await _ in stream { count += 1 }
            return count
        }
        db.close()
        #expect(try await consumer.value == 0)
    }

    @Test("channel names that PostgreSQL cannot take are refused", arguments: ["", String(repeating: "x", count: 64)])
    func invalidChannel(_ channel: String) async throws {
        let db = try await makeClient(poolSize: 1)
        defer { db.close() }
        let error = try await #require(throws: PostgresError.self) { try await db.listen(channel: channel) }
        #expect(error.kind == .invalidArgument)
    }
}
