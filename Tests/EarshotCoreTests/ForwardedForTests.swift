import EarshotCore
import Testing

@Suite("Client addresses behind trusted proxies")
struct ForwardedForTests {
    @Test("CIDR blocks and addresses, IPv4 and IPv6, parse and match")
    func ranges() throws {
        let private10 = try #require(IPAddressRange("10.0.0.0/8"))
        #expect(private10.contains("10.200.3.4"))
        #expect(!private10.contains("11.0.0.1"))
        #expect(private10.contains("::ffff:10.1.2.3"), "IPv4-mapped IPv6 counts as IPv4")
        let single = try #require(IPAddressRange("192.168.1.7"))
        #expect(single.contains("192.168.1.7") && !single.contains("192.168.1.8"))
        let ula = try #require(IPAddressRange("fd00::/8"))
        #expect(ula.contains("fd12:3456::1") && !ula.contains("fe80::1"))
        #expect(try #require(IPAddressRange("10.1.2.3/20")).description == "10.1.0.0/20")
        for bad in ["", "10.0.0.0/33", "10.0.0", "10.0.0.256", "010.0.0.1x", "10.0.0.0/", "10.0.0.0/8/8", "::1/129", "host.example", "1.2.3.4/-1"] {
            #expect(IPAddressRange(bad) == nil, "\(bad) is not a range")
        }
    }

    @Test("the nearest untrusted hop is the client; an untrusted peer's header is ignored")
    func client() throws {
        let trusted = [try #require(IPAddressRange("10.0.0.0/8")), try #require(IPAddressRange("127.0.0.1"))]
        #expect(ForwardedFor.client(peer: "10.0.0.5", headers: ["203.0.113.9"], trusted: trusted) == "203.0.113.9")
        #expect(ForwardedFor.client(peer: "10.0.0.5", headers: ["198.51.100.1, 203.0.113.9, 10.0.0.7"], trusted: trusted) == "203.0.113.9",
                "a client-written entry left of the first untrusted hop is not believed")
        #expect(ForwardedFor.client(peer: "10.0.0.5", headers: ["203.0.113.9", "10.0.0.7"], trusted: trusted) == "203.0.113.9", "several headers read as one list")
        #expect(ForwardedFor.client(peer: "198.51.100.2", headers: ["203.0.113.9"], trusted: trusted) == "198.51.100.2", "spoofed from outside")
        #expect(ForwardedFor.client(peer: "10.0.0.5", headers: ["not-an-address"], trusted: trusted) == "10.0.0.5")
        #expect(ForwardedFor.client(peer: "10.0.0.5", headers: ["10.0.0.8"], trusted: trusted) == "10.0.0.8", "all trusted: the farthest hop")
        #expect(ForwardedFor.client(peer: "10.0.0.5", headers: ["203.0.113.9"], trusted: []) == "10.0.0.5")
    }
}
