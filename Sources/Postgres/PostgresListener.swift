import CPostgres
import Foundation
import Glibc
import Logging
import Synchronization

/// A dedicated connection and thread that `LISTEN`s on one channel and feeds a stream.
///
/// The thread sleeps in `poll` on the connection's socket and a wake socket; ``stop()`` writes to it,
/// so ending the stream closes the connection promptly without any timeout loop.
final class PostgresListener: Sendable {
    typealias Continuation = AsyncThrowingStream<PostgresNotification, Error>.Continuation

    private let channel: String
    private let configuration: PostgresConfiguration
    private let logger: Logger
    private let wakePair: (receiver: Int32, sender: Int32)
    /// `true` once the thread closed `wakePair`, so ``stop()`` never writes to a reused descriptor number.
    private let isWakePairClosed = Mutex(false)
    private let onEnd: @Sendable () -> Void

    /// Checks `channel` and quotes it as an identifier: PostgreSQL cannot take it as a parameter.
    static func quotedIdentifier(forChannel channel: String) throws -> String {
        guard !channel.isEmpty, channel.utf8.count <= 63, !channel.utf8.contains(0) else {
            throw PostgresError(
                kind: .invalidArgument,
                message: "channel name must be 1 to 63 bytes without NUL; got \(channel.utf8.count) bytes")
        }
        return "\"" + channel.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    init(channel: String, configuration: PostgresConfiguration, logger: Logger, onEnd: @escaping @Sendable () -> Void)
        throws
    {
        self.channel = channel
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "postgres.channel"] = "\(channel)"
        self.logger = logger
        self.onEnd = onEnd
        wakePair = try PostgresSystemCall.makeWakePair("creating the wake socket for LISTEN \(channel)")
    }

    /// Starts the thread and returns once `LISTEN` has run, so any NOTIFY sent afterwards is delivered.
    func start(delivering continuation: Continuation) async throws {
        let quoted = try Self.quotedIdentifier(forChannel: channel)
        try await withCheckedThrowingContinuation { (ready: CheckedContinuation<Void, Error>) in
            let thread = Thread { self.run(listenSQL: "LISTEN \(quoted)", ready: ready, continuation: continuation) }
            thread.name = "postgres-listen"
            thread.start()
        }
    }

    /// Ends the stream and closes the connection (from any thread; harmless if already stopped).
    func stop() {
        isWakePairClosed.withLock { isClosed in
            guard !isClosed else { return }
            do {
                try PostgresSystemCall.wake(wakePair.sender)
            } catch {
                logger.error("could not stop the LISTEN thread", metadata: ["postgres.error": "\(error)"])
            }
        }
    }

    // MARK: On the listener's thread

    private func run(listenSQL: String, ready: CheckedContinuation<Void, Error>, continuation: Continuation) {
        defer {
            isWakePairClosed.withLock { isClosed in
                PostgresSystemCall.close(wakePair.receiver)
                PostgresSystemCall.close(wakePair.sender)
                isClosed = true
            }
            onEnd()
        }
        let connection: PostgresConnection
        do {
            connection = try PostgresConnection.connect(configuration, logger: logger)
            _ = try connection.execute(listenSQL, [])
        } catch {
            continuation.finish(throwing: error)
            ready.resume(throwing: error)
            return
        }
        ready.resume()
        do {
            try deliverNotifications(from: connection, to: continuation)
            continuation.finish()
        } catch {
            logger.warning("LISTEN connection ended", metadata: ["postgres.error": "\(error)"])
            continuation.finish(throwing: error)
        }
    }

    /// Returns when ``stop()`` was called; throws when the connection breaks.
    private func deliverNotifications(from connection: PostgresConnection, to continuation: Continuation) throws {
        let pollIn = Int16(POLLIN)
        var descriptors = [
            pollfd(fd: PQsocket(connection.handle), events: pollIn, revents: 0),
            pollfd(fd: wakePair.receiver, events: pollIn, revents: 0),
        ]
        while true {
            descriptors[0].revents = 0
            descriptors[1].revents = 0
            _ = try PostgresSystemCall.poll(&descriptors, timeoutMilliseconds: -1, "waiting for notifications")
            if descriptors[1].revents != 0 { return }
            guard descriptors[0].revents != 0 else { continue }
            guard PQconsumeInput(connection.handle) == 1, !connection.isBroken else {
                throw PostgresError(
                    kind: .connectionLost,
                    message: "the LISTEN connection broke: "
                        + String(cString: PQerrorMessage(connection.handle)).trimmingCharacters(in: .whitespacesAndNewlines))
            }
            while let notification = PQnotifies(connection.handle) {
                continuation.yield(PostgresNotification(
                    channel: String(cString: notification.pointee.relname),
                    payload: String(cString: notification.pointee.extra),
                    senderPID: notification.pointee.be_pid))
                PQfreemem(notification)
            }
        }
    }
}
