import Foundation
import Synchronization

/// Hands each project a uid (used as its gid too) from the configured range, once: the choice is
/// recorded on disk before it is returned, so files a project's apps wrote keep their owner across
/// restarts. A uid is never handed to a second project, even after the first is deleted.
public final class UIDAllocator: Sendable {
    public let range: ClosedRange<Int>
    let path: String
    private let allocations: Mutex<[String: Int]>

    public init(range: ClosedRange<Int>, path: String) throws(PomegranateError) {
        self.range = range
        self.path = path
        allocations = Mutex(try StateFile.read([String: Int].self, from: path) ?? [:])
    }

    /// The project's uid, allocating the lowest unused one the first time.
    public func uid(forProject projectID: String) throws(PomegranateError) -> UInt32 {
        let result: Result<Int, PomegranateError> = allocations.withLock { allocations in
            if let existing = allocations[projectID] { return .success(existing) }
            let used = Set(allocations.values)
            // Never reuse: start above the highest ever handed out, then fill gaps only when the top is reached.
            let next = (allocations.values.max().map { $0 + 1 } ?? range.lowerBound)
            guard let uid = range.contains(next) ? next : range.first(where: { !used.contains($0) }) else {
                return .failure(.uidRangeExhausted(range: range))
            }
            var updated = allocations
            updated[projectID] = uid
            do throws(PomegranateError) {
                try StateFile.write(updated, to: path)
            } catch {
                return .failure(error)
            }
            allocations = updated
            return .success(uid)
        }
        return UInt32(try result.get())
    }
}
