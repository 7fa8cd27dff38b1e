import Testing
@testable import Cgroups

@Suite struct ResourceLimitsTests {
    let limits = ResourceLimits(memoryBytes: 64 << 20, cpuQuota: 0.5, pids: 10)

    @Test func unifiedPlanWritesLimitsAndTurnsSwapOff() {
        #expect(limits.unifiedWrites == [
            CgroupFileWrite("memory.max", "67108864"),
            CgroupFileWrite("memory.swap.max", "0", skipIfMissing: true),
            CgroupFileWrite("cpu.max", "50000 100000"),
            CgroupFileWrite("pids.max", "10"),
        ])
    }

    @Test func unifiedPlanWithoutLimitsResetsToMaxAndToleratesMissingControllers() {
        #expect(ResourceLimits.none.unifiedWrites == [
            CgroupFileWrite("memory.max", "max", skipIfMissing: true),
            CgroupFileWrite("memory.swap.max", "0", skipIfMissing: true),
            CgroupFileWrite("cpu.max", "max 100000", skipIfMissing: true),
            CgroupFileWrite("pids.max", "max", skipIfMissing: true),
        ])
    }

    @Test func legacyPlanKeepsMemoryPlusSwapAboveMemoryWhileWriting() {
        #expect(limits.legacyWrites(for: .memory) == [
            CgroupFileWrite("memory.memsw.limit_in_bytes", "-1", skipIfMissing: true),
            CgroupFileWrite("memory.limit_in_bytes", "67108864"),
            CgroupFileWrite("memory.memsw.limit_in_bytes", "67108864", skipIfMissing: true),
            CgroupFileWrite("memory.swappiness", "0", skipIfMissing: true),
        ])
        #expect(limits.legacyWrites(for: .cpu) == [
            CgroupFileWrite("cpu.cfs_period_us", "100000"),
            CgroupFileWrite("cpu.cfs_quota_us", "50000"),
        ])
        #expect(limits.legacyWrites(for: .pids) == [CgroupFileWrite("pids.max", "10")])
        #expect(limits.legacyWrites(for: .cpuacct).isEmpty)
        #expect(ResourceLimits.none.legacyWrites(for: .cpu).last == CgroupFileWrite("cpu.cfs_quota_us", "-1", skipIfMissing: true))
    }

    @Test func cpuQuotaIsRoundedAndKeptAboveTheKernelMinimum() {
        #expect(ResourceLimits(cpuQuota: 1.5).cpuQuotaMicroseconds == 150_000)
        #expect(ResourceLimits(cpuQuota: 2).cpuQuotaMicroseconds == 200_000)
        #expect(ResourceLimits(cpuQuota: 0.333333).cpuQuotaMicroseconds == 33_333)
        #expect(ResourceLimits(cpuQuota: 0.001).cpuQuotaMicroseconds == 1_000)
        #expect(ResourceLimits(cpuQuota: 0.000_01).cpuQuotaMicroseconds == 1_000)
    }

    @Test(arguments: [
        ResourceLimits(memoryBytes: 0),
        ResourceLimits(memoryBytes: UInt64.max),
        ResourceLimits(cpuQuota: 0),
        ResourceLimits(cpuQuota: -1),
        ResourceLimits(cpuQuota: .nan),
        ResourceLimits(cpuQuota: .infinity),
        ResourceLimits(pids: 0),
        ResourceLimits(pids: -5),
    ])
    func rejectsValuesTheKernelWouldRefuse(limits: ResourceLimits) {
        #expect(throws: CgroupError.self) { try limits.validate() }
    }

    @Test func describesLimitsForMessages() {
        #expect(limits.description == "memory 64 MiB, cpu 0.5 cores, pids 10")
        #expect(ResourceLimits(memoryBytes: 2 << 30).description == "memory 2 GiB")
        #expect(ResourceLimits(memoryBytes: 1000).description == "memory 1000 bytes")
        #expect(ResourceLimits.none.description == "no limits")
    }
}
