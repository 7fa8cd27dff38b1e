import Foundation
import Glibc
import Testing

@testable import Networking

struct FirewallScriptTests {
    private let configuration = FirewallConfiguration(
        bridgeName: "pttest0",
        subnet: IPv4Subnet.platformDefault,
        allowedTCPPorts: [8081, 4430],
        allowsDNS: true,
        blockedDestinations: [.linkLocal],
        noEgressAddresses: [IPv4Address(0x0A58_0005)]
    )

    @Test func replacesTheTableInOneTransaction() {
        let script = FirewallScript.render(table: "paastech", configuration)
        let lines = script.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(Array(lines.prefix(3)) == ["table inet paastech {}", "delete table inet paastech", "table inet paastech {"])
        #expect(lines.contains("ip saddr 10.88.0.0/16 oifname != \"pttest0\" masquerade"))
        #expect(lines.contains("ip saddr 10.88.0.0/16 tcp dport { 8081, 4430 } accept"))
        #expect(lines.contains("ip saddr 10.88.0.0/16 ip daddr 10.88.0.1 meta l4proto { tcp, udp } th dport 53 accept"))
        #expect(lines.contains("iifname \"pttest0\" oifname \"pttest0\" counter drop"))
        #expect(lines.contains("iifname \"pttest0\" ip saddr @noegress counter drop"))
        #expect(lines.contains("iifname \"pttest0\" ip daddr { 169.254.0.0/16 } counter drop"))
        #expect(lines.contains("elements = { 10.88.0.5 }"))
        // Everything from the bridge not accepted above is dropped, last.
        let input = lines.drop { $0 != "chain input {" }.prefix { $0 != "}" }
        #expect(input.last == "counter drop")
    }

    @Test func defaultsAllowNothingOnTheHost() {
        let script = FirewallScript.render(table: "paastech", FirewallConfiguration())
        #expect(!script.contains("dport"))
        #expect(!script.contains("elements"))
        #expect(script.contains("iifname != \"paastech0\" accept"))
    }

    @Test func egressScripts() throws {
        let address = try IPv4Address(parsing: "10.88.3.4")
        #expect(FirewallScript.egress(table: "paastech", address: address, allowed: false) == "add element inet paastech noegress { 10.88.3.4 }\n")
        #expect(FirewallScript.egress(table: "paastech", address: address, allowed: true)
            == "add element inet paastech noegress { 10.88.3.4 }\ndelete element inet paastech noegress { 10.88.3.4 }\n")
    }

    @Test(arguments: ["", "Paastech", "1table", "pt-test", "a b", "x;y", String(repeating: "a", count: 33)])
    func refusesTableNamesNftWouldMisread(name: String) {
        let error = #expect(throws: NetworkConfigurationError.self) { try Firewall(tableName: name) }
        #expect(error?.kind == .invalidTableName)
    }

    /// nft itself accepts the script (`--check` parses and validates against the kernel, changing nothing).
    @Test(.enabled(if: getuid() == 0, "nft --check needs CAP_NET_ADMIN"))
    func nftAcceptsTheScript() throws {
        for configuration in [configuration, FirewallConfiguration(blockedDestinations: [])] {
            let script = FirewallScript.render(table: "paastechcheck", configuration)
            let path = "/tmp/paastech-firewall-check-\(getpid()).nft"
            try script.write(toFile: path, atomically: true, encoding: .utf8)
            defer { unlink(path) }
            try Command.check(["/usr/sbin/nft", "--check", "-f", path])
        }
    }

    @Test func readsTheElementsOfAListedSet() {
        let listing = """
            table inet paastech {
            \tset noegress {
            \t\ttype ipv4_addr
            \t\telements = { 10.88.0.5, 10.88.0.7,
            \t\t\t     10.88.1.2 }
            \t}
            }
            """
        #expect(FirewallScript.setElements(in: listing).map(\.description) == ["10.88.0.5", "10.88.0.7", "10.88.1.2"])
        #expect(FirewallScript.setElements(in: "table inet paastech {\n\tset noegress {\n\t\ttype ipv4_addr\n\t}\n}\n").isEmpty)
    }
}
