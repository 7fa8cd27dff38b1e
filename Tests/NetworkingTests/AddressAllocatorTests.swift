import Foundation
import Synchronization
import Testing

@testable import Networking

struct AddressAllocatorTests {
    @Test func handsOutDistinctInstanceAddressesInOrder() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let subnet = try IPv4Subnet(parsing: "10.89.0.0/24")
        let allocator = try AddressAllocator(subnet: subnet, stateDirectory: directory.path)
        var seen: Set<IPv4Address> = []
        for index in 0..<253 {
            let address = try allocator.allocate(for: "instance-\(index)")
            #expect(subnet.isInstanceAddress(address), "\(address)")
            #expect(seen.insert(address).inserted, "\(address) handed out twice")
        }
        #expect(seen.count == 253)
        #expect(!seen.contains(subnet.gateway) && !seen.contains(subnet.network) && !seen.contains(subnet.broadcast))
        #expect(try allocator.allocate(for: "instance-0") == (try IPv4Address(parsing: "10.89.0.2")), "an instance keeps its address")
    }

    @Test func exhaustionIsATypedError() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let allocator = try AddressAllocator(subnet: try IPv4Subnet(parsing: "10.89.0.0/29"), stateDirectory: directory.path)
        for index in 0..<5 { _ = try allocator.allocate(for: "i\(index)") }
        let error = #expect(throws: AddressAllocatorError.self) { try allocator.allocate(for: "one-too-many") }
        #expect(error?.kind == .exhausted)
        #expect(error?.description.contains("all 5 instance addresses of 10.89.0.0/29 are in use") == true)

        // A released address is free again, and only that one.
        try allocator.release(try IPv4Address(parsing: "10.89.0.4"))
        #expect(try allocator.allocate(for: "next") == (try IPv4Address(parsing: "10.89.0.4")))
        #expect(throws: AddressAllocatorError.self) { try allocator.allocate(for: "again") }
    }

    @Test func releasedAddressesAreReusedLast() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let allocator = try AddressAllocator(subnet: try IPv4Subnet(parsing: "10.89.0.0/29"), stateDirectory: directory.path)
        let first = try allocator.allocate(for: "a")
        try allocator.release(first)
        let second = try allocator.allocate(for: "b")
        #expect(second != first, "a just-released address waits until the others are used")
    }

    @Test func persistsAndReloadsWhatIsInUse() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let subnet = try IPv4Subnet(parsing: "10.89.0.0/16")
        let before = try AddressAllocator(subnet: subnet, stateDirectory: directory.path + "/nested")
        let a = try before.allocate(for: "a")
        let b = try before.allocate(for: "b")
        let c = try before.allocate(for: "c")
        try before.release(b)

        let text = try String(contentsOfFile: before.statePath, encoding: .utf8)
        let onDisk = try JSONDecoder().decode([String: String].self, from: Data(text.utf8))
        #expect(onDisk == [a.description: "a", c.description: "c"])

        // A restarted pomegranate: the same addresses are taken, new ones differ from them.
        let after = try AddressAllocator(subnet: subnet, stateDirectory: directory.path + "/nested")
        #expect(after.allocations == [a: "a", c: "c"])
        let d = try after.allocate(for: "d")
        #expect(![a, c].contains(d))
        #expect(try after.allocate(for: "a") == a)
    }

    @Test func reconcileFreesAddressesOfInstancesThatAreGone() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let subnet = try IPv4Subnet(parsing: "10.89.0.0/16")
        let allocator = try AddressAllocator(subnet: subnet, stateDirectory: directory.path)
        let live = try allocator.allocate(for: "live")
        let gone = try allocator.allocate(for: "gone")
        let alsoGone = try allocator.allocate(for: "also-gone")
        #expect(try allocator.reconcile(liveInstanceIDs: ["live", "never-allocated"]) == [gone, alsoGone].sorted())
        #expect(allocator.allocations == [live: "live"])
        #expect(try AddressAllocator(subnet: subnet, stateDirectory: directory.path).allocations == [live: "live"])
        #expect(try allocator.reconcile(liveInstanceIDs: ["live"]).isEmpty)
    }

    @Test func refusesACorruptStateFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/" + AddressAllocator.stateFileName
        for content in ["{not json", "{\"10.89.0\": \"x\"}", "[\"10.89.0.2\"]"] {
            try content.write(toFile: path, atomically: true, encoding: .utf8)
            let error = #expect(throws: AddressAllocatorError.self, "\(content)") {
                try AddressAllocator(subnet: try IPv4Subnet(parsing: "10.89.0.0/16"), stateDirectory: directory.path)
            }
            #expect(error?.kind == .unreadableState)
            #expect(error?.description.contains(path) == true)
        }
    }

    @Test func failedSaveHandsOutNothing() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let allocator = try AddressAllocator(subnet: try IPv4Subnet(parsing: "10.89.0.0/29"), stateDirectory: directory.path)
        // A directory where the state file should be: the rename fails.
        try FileManager.default.createDirectory(atPath: allocator.statePath, withIntermediateDirectories: false)
        let error = #expect(throws: AddressAllocatorError.self) { try allocator.allocate(for: "a") }
        #expect(error?.kind == .unwritableState)
        #expect(allocator.allocations.isEmpty)
    }

    @Test func concurrentAllocationsNeverCollide() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let allocator = try AddressAllocator(subnet: try IPv4Subnet(parsing: "10.89.0.0/16"), stateDirectory: directory.path)
        let addresses = try await withThrowingTaskGroup(of: IPv4Address.self) { group in
            for index in 0..<200 {
                group.addTask { try allocator.allocate(for: "instance-\(index)") }
            }
            return try await group.reduce(into: [IPv4Address]()) { $0.append($1) }
        }
        #expect(Set(addresses).count == 200)
        #expect(allocator.allocations.count == 200)
    }

    @Test func claimKeepsAnAdoptedInstancesAddress() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let subnet = try IPv4Subnet(parsing: "10.89.0.0/24")
        let allocator = try AddressAllocator(subnet: subnet, stateDirectory: directory.path)
        let address = try IPv4Address(parsing: "10.89.0.9")
        try allocator.claim(address, for: "survivor")
        try allocator.claim(address, for: "survivor")  // idempotent
        #expect(try allocator.allocate(for: "survivor") == address)
        #expect(try AddressAllocator(subnet: subnet, stateDirectory: directory.path).allocations[address] == "survivor", "saved")
        let taken = #expect(throws: AddressAllocatorError.self) { try allocator.claim(address, for: "someone-else") }
        #expect(taken?.kind == .addressInUse)
        let outside = #expect(throws: AddressAllocatorError.self) { try allocator.claim(subnet.gateway, for: "x") }
        #expect(outside?.kind == .notInSubnet)
    }

    @Test func backgroundSavesReachTheFileAndReportFailures() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let subnet = try IPv4Subnet(parsing: "10.89.0.0/24")
        let failures = Mutex(0)
        let allocator = try AddressAllocator(subnet: subnet, stateDirectory: directory.path, savesInBackground: true) { _ in
            failures.withLock { $0 += 1 }
        }
        let first = try allocator.allocate(for: "first")
        let second = try allocator.allocate(for: "second")
        try allocator.release(first)
        allocator.waitUntilSaved()
        #expect(try AddressAllocator(subnet: subnet, stateDirectory: directory.path).allocations == [second: "second"])

        // A directory where the file should be: the change stands in memory, the write failure is reported.
        try FileManager.default.removeItem(atPath: allocator.statePath)
        try FileManager.default.createDirectory(atPath: allocator.statePath, withIntermediateDirectories: false)
        _ = try allocator.allocate(for: "third")
        allocator.waitUntilSaved()
        #expect(failures.withLock { $0 } == 1)
        #expect(allocator.allocations.count == 2)
    }
}
