import Outbound
import Testing

@Suite("Address policy (SSRF guard)")
struct AddressPolicyTests {
    @Test("internal addresses are refused", arguments: [
        "127.0.0.1", "127.0.0.2", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
        "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255",
        "::1", "::", "fe80::1", "fd00::1", "fc00::1", "ff02::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a00:1", "::127.0.0.1",
    ])
    func refused(_ text: String) throws {
        let address = try #require(IPAddress(text))
        let refusal = try #require(AddressPolicy().refusal(for: address), "\(text) was allowed")
        #expect(refusal.contains(address.description))
    }

    @Test("public addresses are allowed", arguments: [
        "93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "169.253.0.1", "2606:4700::1111", "::ffff:93.184.216.34", "64:ff9b::808:808",
    ])
    func allowed(_ text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(AddressPolicy().refusal(for: address) == nil)
    }

    @Test("an allow-list lets exactly its ranges through, in either IP form")
    func allowList() throws {
        let policy = AddressPolicy(allowed: [try #require(AddressRange("127.0.0.1"))])
        #expect(policy.refusal(for: try #require(IPAddress("127.0.0.1"))) == nil)
        #expect(policy.refusal(for: try #require(IPAddress("::ffff:127.0.0.1"))) == nil)
        #expect(policy.refusal(for: try #require(IPAddress("127.0.0.2"))) != nil)
        #expect(policy.refusal(for: try #require(IPAddress("::1"))) != nil)
    }

    @Test("the refusal names what the address is")
    func message() throws {
        #expect(AddressPolicy().refusal(for: try #require(IPAddress("169.254.169.254")))
            == "169.254.169.254 is link-local (cloud metadata lives here), which Enricher does not connect to")
        #expect(AddressPolicy().refusal(for: try #require(IPAddress("::ffff:10.1.2.3")))
            == "::ffff:10.1.2.3 carries 10.1.2.3: 10.1.2.3 is private, which Enricher does not connect to")
    }

    @Test("ranges parse and match by prefix", arguments: [
        ("10.0.0.0/8", "10.255.1.2", true), ("10.0.0.0/8", "11.0.0.0", false), ("192.168.0.0/16", "192.168.255.255", true),
        ("fe80::/10", "febf::1", true), ("fe80::/10", "fec0::1", false), ("0.0.0.0/0", "8.8.8.8", true), ("::/0", "8.8.8.8", false),
    ])
    func ranges(range: String, address: String, contained: Bool) throws {
        let parsed = try #require(AddressRange(range))
        #expect(parsed.contains(try #require(IPAddress(address))) == contained)
    }

    @Test("malformed input is not an address", arguments: ["", "localhost", "256.0.0.1", "1.2.3", "::g", "10.0.0.0/33"])
    func malformed(_ text: String) {
        #expect(IPAddress(text) == nil || AddressRange(text) == nil)
    }
}
