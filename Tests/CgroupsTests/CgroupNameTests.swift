import Testing
@testable import Cgroups

@Suite struct CgroupNameTests {
    @Test(arguments: ["a", "web-1", "0123456789abcdef0123456789abcdef", String(repeating: "z", count: 64)])
    func acceptsLowercaseDigitsAndDashes(id: String) throws {
        #expect(try CgroupName.app(validating: id) == .app(id))
        #expect(try CgroupName.build(validating: id) == .build(id))
    }

    @Test(arguments: ["../x", "", "Web", "ABC", "a/b", "a.b", "a b", "é", "app\0", String(repeating: "z", count: 65)])
    func rejectsEverythingElse(id: String) {
        #expect(throws: CgroupError.self) { try CgroupName.app(validating: id) }
        #expect(throws: CgroupError.self) { try CgroupName.validate(id) }
    }

    @Test func errorSaysWhatIsWrong() {
        do {
            try CgroupName.validate("../x")
            Issue.record("../x was accepted")
        } catch {
            #expect(error.description.contains("\"../x\""))
            #expect(error.description.contains("a-z, 0-9 and -"))
        }
    }

    @Test func pathsArePrefixedSoNoIDCanNameAKernelFile() {
        #expect(CgroupName.app("web-1").relativePath == "apps/app-web-1")
        #expect(CgroupName.build("7").relativePath == "builds/build-7")
        // A user naming an app "memory.max" could not shadow the interface file: it is rejected, and even
        // an accepted id always lands below a prefix.
        #expect(throws: CgroupError.self) { try CgroupName.validate("memory.max") }
        #expect(CgroupName.app("cgroup-procs").relativePath == "apps/app-cgroup-procs")
    }

    @Test func parsesOnlyDirectoriesWeCreate() {
        #expect(CgroupName(directoryName: "app-web-1", in: "apps") == .app("web-1"))
        #expect(CgroupName(directoryName: "build-42", in: "builds") == .build("42"))
        #expect(CgroupName(directoryName: "build-42", in: "apps") == nil)
        #expect(CgroupName(directoryName: "app-", in: "apps") == nil)
        #expect(CgroupName(directoryName: "app-UPPER", in: "apps") == nil)
        #expect(CgroupName(directoryName: "web", in: "apps") == nil)
        #expect(CgroupName(directoryName: "app-x", in: "supervisor") == nil)
    }
}
