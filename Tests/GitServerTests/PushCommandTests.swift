@testable import GitServer
import Testing

@Suite("Parsing the exec request into a push target")
struct PushCommandTests {
    @Test("git's spellings of a push are accepted", arguments: [
        "git-receive-pack 'alice/site.git'",
        "git-receive-pack '/alice/site.git'",
        "git-receive-pack 'alice/site'",
        "git-receive-pack '/alice/site'",
        "git-receive-pack alice/site.git",
        "git-receive-pack /alice/site",
        "git-receive-pack  'alice/site.git'",
    ])
    func accepted(command: String) throws {
        let push = try PushCommand.parse(command).get()
        #expect(push == PushCommand(owner: "alice", project: "site"))
    }

    @Test("a two-component path is only a name pair; whose it is is decided later")
    func anyTwoNames() throws {
        // `/etc/passwd` names user "etc"'s project "passwd": refused later as not found, never a file path.
        #expect(try PushCommand.parse("git-receive-pack '/etc/passwd'").get() == PushCommand(owner: "etc", project: "passwd"))
    }

    @Test("paths that are not exactly <user>/<project> are refused", arguments: [
        "git-receive-pack '../alice/site.git'",
        "git-receive-pack 'alice/../bob/site.git'",
        "git-receive-pack 'alice/site.git/..'",
        "git-receive-pack 'alice/site/extra.git'",
        "git-receive-pack '/etc/ssh/passwd'",
        "git-receive-pack 'site.git'",
        "git-receive-pack ''",
        "git-receive-pack",
        "git-receive-pack 'alice/site.git",
        "git-receive-pack 'alice/site.git' extra",
        "git-receive-pack 'Alice/site.git'",
        "git-receive-pack 'alice/-site.git'",
        "git-receive-pack 'alice//site.git'",
        "git-receive-pack 'alice/site.git'\n",
    ])
    func invalidPaths(command: String) {
        guard case .failure(let refusal) = PushCommand.parse(command) else {
            Issue.record("accepted \(command.debugDescription)")
            return
        }
        #expect(refusal.reason == "invalid-path")
        #expect(!refusal.message.contains("\n"))
    }

    @Test("other programs are refused with their own reason")
    func otherPrograms() {
        #expect(reason("git-upload-pack 'alice/site.git'") == "fetch")
        #expect(reason("git-upload-archive 'alice/site.git'") == "fetch")
        #expect(reason("ls -la") == "command")
        #expect(reason("git receive-pack 'alice/site.git'") == "command")
        #expect(reason("sh -c 'git-receive-pack alice/site.git'") == "command")
        #expect(reason("") == "shell")
    }

    @Test("names follow the store's rule: a lowercase letter, then letters, digits and '-', at most 39")
    func names() {
        #expect(PushCommand.isValidName("a"))
        #expect(PushCommand.isValidName("my-app-2"))
        #expect(PushCommand.isValidName(Substring(String(repeating: "a", count: 39))))
        #expect(!PushCommand.isValidName(Substring(String(repeating: "a", count: 40))))
        #expect(!PushCommand.isValidName("2app"))
        #expect(!PushCommand.isValidName(".."))
        #expect(!PushCommand.isValidName("app_1"))
        #expect(!PushCommand.isValidName(""))
    }

    private func reason(_ command: String) -> String? {
        if case .failure(let refusal) = PushCommand.parse(command) { return refusal.reason }
        return nil
    }
}
