import Foundation
import Testing

@testable import Networking

struct IPv4AddressTests {
    @Test(arguments: [
        ("10.88.0.2", UInt32(0x0A58_0002)), ("0.0.0.0", 0), ("255.255.255.255", 0xFFFF_FFFF), ("192.0.2.10", 0xC000_020A),
    ])
    func parsesDottedQuads(text: String, value: UInt32) throws {
        let address = try #require(IPv4Address(text))
        #expect(address.value == value)
        #expect(address.description == text)
        #expect(address.octets == [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)])
    }

    @Test(arguments: [
        "", "10.88.0", "10.88.0.2.1", "10.88.0.256", "010.88.0.2", "10.88.0.-1", " 10.88.0.2", "10.88.0.2 ",
        "10.88.0.2/16", "10..0.2", "a.b.c.d", "10.88.0.2;reboot", "١٠.88.0.2", "+1.2.3.4",
    ])
    func refusesAnythingElse(text: String) {
        #expect(IPv4Address(text) == nil)
        #expect(throws: NetworkConfigurationError.self) { try IPv4Address(parsing: text) }
    }

    @Test func errorSaysWhatToWrite() {
        let error = #expect(throws: NetworkConfigurationError.self) { try IPv4Address(parsing: "10.1", for: "gateway") }
        #expect(error?.kind == .invalidAddress)
        #expect(error?.description.contains("gateway \"10.1\"") == true)
        #expect(error?.description.contains("four decimal numbers") == true)
    }

    @Test func codesAsText() throws {
        let address = try IPv4Address(parsing: "10.88.1.7")
        let data = try JSONEncoder().encode([address])
        #expect(String(decoding: data, as: UTF8.self) == "[\"10.88.1.7\"]")
        #expect(try JSONDecoder().decode([IPv4Address].self, from: data) == [address])
        #expect(throws: (any Error).self) { try JSONDecoder().decode([IPv4Address].self, from: Data("[\"10.88.1\"]".utf8)) }
    }
}

struct IPv4SubnetTests {
    @Test func platformDefault() throws {
        let subnet = IPv4Subnet.platformDefault
        #expect(subnet.description == "10.88.0.0/16")
        #expect(subnet == (try IPv4Subnet(parsing: "10.88.0.0/16")))
        #expect(subnet.gateway.description == "10.88.0.1")
        #expect(subnet.broadcast.description == "10.88.255.255")
        #expect(subnet.mask == 0xFFFF_0000)
        #expect(IPv4Address(subnet.instanceAddresses.lowerBound).description == "10.88.0.2")
        #expect(IPv4Address(subnet.instanceAddresses.upperBound - 1).description == "10.88.255.254")
        #expect(subnet.instanceAddresses.count == 65_533)
    }

    @Test func membership() throws {
        let subnet = try IPv4Subnet(parsing: "10.89.0.0/16")
        for (text, contained, forInstances) in [
            ("10.89.0.0", true, false), ("10.89.0.1", true, false), ("10.89.0.2", true, true), ("10.89.200.3", true, true),
            ("10.89.255.255", true, false), ("10.90.0.2", false, false), ("10.88.255.254", false, false),
        ] {
            let address = try IPv4Address(parsing: text)
            #expect(subnet.contains(address) == contained, "\(text)")
            #expect(subnet.isInstanceAddress(address) == forInstances, "\(text)")
        }
    }

    @Test func refusesHostBitsAndBadPrefixes() {
        let hostBits = #expect(throws: NetworkConfigurationError.self) { try IPv4Subnet(parsing: "10.88.0.1/16") }
        #expect(hostBits?.description.contains("did you mean 10.88.0.0/16") == true)
        for text in ["10.88.0.0", "10.88.0.0/33", "10.88.0.0/-1", "10.88.0.0/+16", "10.88.0/16", "10.88.0.0/16/1"] {
            #expect(throws: NetworkConfigurationError.self, "\(text)") { try IPv4Subnet(parsing: text) }
        }
    }

    @Test func instanceSubnetsNeedRoom() throws {
        #expect(throws: NetworkConfigurationError.self) { try IPv4Subnet(parsing: "10.88.0.0/31").validateForInstances() }
        #expect(throws: NetworkConfigurationError.self) { try IPv4Subnet(parsing: "10.0.0.0/7").validateForInstances() }
        let smallest = try IPv4Subnet(parsing: "10.88.0.0/30")
        try smallest.validateForInstances()
        #expect(smallest.instanceAddresses.map { IPv4Address($0).description } == ["10.88.0.2"])
        #expect(try IPv4Subnet(parsing: "192.0.2.7/32").instanceAddresses.isEmpty)
    }
}

struct InterfaceNameTests {
    @Test(arguments: ["paastech0", "pt-0123456789ab", "eth0", "a", "x_y.z-1"])
    func acceptsKernelNames(name: String) throws {
        try InterfaceName.validate(name, role: "test")
    }

    @Test(arguments: ["", "pt-0123456789abc", ".", "..", "a b", "a/b", "a:b", "eth0\"", "pt-é", "a\nb", "x;y"])
    func refusesOthers(name: String) {
        let error = #expect(throws: NetworkConfigurationError.self) { try InterfaceName.validate(name, role: "host interface") }
        #expect(error?.kind == .invalidInterfaceName)
    }
}
