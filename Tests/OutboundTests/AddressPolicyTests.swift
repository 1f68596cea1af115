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

    /// IPv6 forms that carry an IPv4 address, each paired with the address it carries (for Teredo, the
    /// client's: its last 32 bits inverted; the server in these rows is 65.54.227.120, a public one).
    @Test("6to4, Teredo and NAT64 addresses are judged as the IPv4 address they carry", arguments: [
        ("2002:7f00:1::", "127.0.0.1"), ("2002:a00:1::1", "10.0.0.1"), ("2002:c0a8:101:1::1", "192.168.1.1"),
        ("2002:a9fe:a9fe::", "169.254.169.254"), ("2002:6440:1::", "100.64.0.1"), ("2002:808:808::", "8.8.8.8"),
        ("2002:5db8:d822::1", "93.184.216.34"),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "127.0.0.1"), ("2001:0:4136:e378::f5ff:fffe", "10.0.0.1"),
        ("2001:0:4136:e378::5601:5601", "169.254.169.254"), ("2001:0:4136:e378::3f57:fefe", "192.168.1.1"),
        ("2001:0:4136:e378::f7f7:f7f7", "8.8.8.8"), ("2001:0:4136:e378::a247:27dd", "93.184.216.34"),
        ("64:ff9b::7f00:1", "127.0.0.1"), ("64:ff9b::a9fe:a9fe", "169.254.169.254"), ("64:ff9b::c0a8:101", "192.168.1.1"),
        ("64:ff9b::808:808", "8.8.8.8"),
    ])
    func embeddedIPv4(_ v6: String, _ v4: String) throws {
        let (wrapped, carried) = (try #require(IPAddress(v6)), try #require(IPAddress(v4)))
        let policy = AddressPolicy()
        if let refusal = policy.refusal(for: carried) {
            let wrappedRefusal = try #require(policy.refusal(for: wrapped), "\(v6) was allowed although \(v4) is not")
            #expect(wrappedRefusal.hasPrefix("\(wrapped) carries \(carried)") && wrappedRefusal.hasSuffix(refusal), "\(wrappedRefusal)")
        } else {
            #expect(policy.refusal(for: wrapped) == nil, "\(v6) carries the public \(v4)")
        }
    }

    @Test("a Teredo address is refused when its server is internal, whatever its client", arguments: [
        "2001:0:a00:1::f7f7:f7f7", "2001:0:7f00:1::f7f7:f7f7", "2001:0:a9fe:a9fe::f7f7:f7f7",
    ])
    func teredoServer(_ text: String) throws {
        let address = try #require(IPAddress(text))
        let refusal = try #require(AddressPolicy().refusal(for: address), "\(text) was allowed")
        #expect(refusal.contains("(Teredo server)"), "\(refusal)")
    }

    @Test("local-use NAT64 (64:ff9b:1::/48) is refused whatever it carries, unless allowed", arguments: [
        "64:ff9b:1::808:808", "64:ff9b:1::7f00:1", "64:ff9b:1:808:8:800::", "64:ff9b:1:ffff::1",
    ])
    func localNAT64(_ text: String) throws {
        let address = try #require(IPAddress(text))
        let refusal = try #require(AddressPolicy().refusal(for: address), "\(text) was allowed")
        #expect(refusal.contains("local-use NAT64"), "\(refusal)")
        let allowed = AddressPolicy(allowed: [try #require(AddressRange("64:ff9b:1::/48"))])
        #expect(allowed.refusal(for: address) == nil)
    }

    @Test("addresses next to the unwrapped ranges are judged as themselves", arguments: [
        "2001:4860:4860::8888", "2001:1::7f00:1", "2003::7f00:1", "64:ff9b:2::7f00:1", "2001:db9::1",
    ])
    func neighbours(_ text: String) throws {
        #expect(AddressPolicy().refusal(for: try #require(IPAddress(text))) == nil)
    }

    @Test("an allow-list lets exactly its ranges through, in either IP form")
    func allowList() throws {
        let policy = AddressPolicy(allowed: [try #require(AddressRange("127.0.0.1"))])
        #expect(policy.refusal(for: try #require(IPAddress("127.0.0.1"))) == nil)
        #expect(policy.refusal(for: try #require(IPAddress("::ffff:127.0.0.1"))) == nil)
        #expect(policy.refusal(for: try #require(IPAddress("127.0.0.2"))) != nil)
        #expect(policy.refusal(for: try #require(IPAddress("::1"))) != nil)
        #expect(policy.refusal(for: try #require(IPAddress("2002:7f00:1::"))) == nil, "6to4 carrying an allowed address")
        #expect(policy.refusal(for: try #require(IPAddress("2002:7f00:2::"))) != nil)
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
