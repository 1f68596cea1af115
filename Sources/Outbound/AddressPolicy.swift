/// The guard against server-side request forgery: which addresses Enricher may connect to.
/// It judges the address actually dialled (not a host name), so DNS rebinding cannot slip past it.
public struct AddressPolicy: Sendable {
    /// Ranges that are refused unless allowed, with what they are, for the refusal's message.
    static let refused: [(range: AddressRange, name: String)] = [
        ("0.0.0.0/8", "'this network'"), ("10.0.0.0/8", "private"), ("100.64.0.0/10", "shared address space (carrier-grade NAT)"),
        ("127.0.0.0/8", "loopback"), ("169.254.0.0/16", "link-local (cloud metadata lives here)"), ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "IETF protocol assignments"), ("192.168.0.0/16", "private"), ("198.18.0.0/15", "benchmarking"),
        ("224.0.0.0/4", "multicast"), ("240.0.0.0/4", "reserved"),
        ("::/128", "unspecified"), ("::1/128", "loopback"), ("fe80::/10", "link-local"), ("fc00::/7", "unique-local"),
        ("ff00::/8", "multicast"),
        // RFC 8215: where the IPv4 address sits depends on the prefix length the local network chose (RFC 6052
        // section 2.2 allows /48 to /96), which the address alone does not tell, so it cannot be judged.
        ("64:ff9b:1::/48", "local-use NAT64 (the IPv4 address it carries depends on the local prefix length)"),
    ].map { (AddressRange($0.0)!, $0.1) }

    /// Where an IPv6 form carries IPv4 addresses.
    enum Embedding: Sendable {
        /// IPv4-mapped, IPv4-compatible and well-known NAT64 (RFC 6052, /96): the last 32 bits.
        case last32
        /// 6to4 (RFC 3056): 2002:AABB:CCDD::/48 routes to the IPv4 address AABBCCDD.
        case sixToFour
        /// Teredo (RFC 4380): the server's IPv4 in bits 32-63, the client's in the last 32 bits, inverted.
        case teredo

        func carried(_ bytes: [UInt8]) -> [(address: IPAddress, role: String?)] {
            switch self {
            case .last32: [(.v4(Array(bytes[12...])), nil)]
            case .sixToFour: [(.v4(Array(bytes[2..<6])), "6to4")]
            case .teredo: [(.v4(Array(bytes[4..<8])), "Teredo server"), (.v4(bytes[12...].map { ~$0 }), "Teredo client")]
            }
        }
    }

    /// IPv6 forms that carry IPv4 addresses, each judged by the IPv4 rules: the address is refused when
    /// any address it carries is.
    static let embeddingIPv4: [(range: AddressRange, form: Embedding)] = {
        let forms: [(String, Embedding)] = [
            ("::ffff:0:0/96", .last32), ("::/96", .last32), ("64:ff9b::/96", .last32), ("2002::/16", .sixToFour), ("2001::/32", .teredo),
        ]
        return forms.map { (AddressRange($0.0)!, $0.1) }
    }()

    public let allowed: [AddressRange]

    /// `allowed` ranges are let through even when they fall in a refused range (tests allow 127.0.0.1).
    public init(allowed: [AddressRange] = []) {
        self.allowed = allowed
    }

    /// nil when Enricher may connect to `address`; otherwise why not.
    public func refusal(for address: IPAddress) -> String? {
        if allowed.contains(where: { $0.contains(address) }) { return nil }
        if let match = Self.refused.first(where: { $0.range.contains(address) }) {
            return "\(address) is \(match.name), which Enricher does not connect to"
        }
        if case .v6(let bytes) = address, let form = Self.embeddingIPv4.first(where: { $0.range.contains(address) }) {
            for (embedded, role) in form.form.carried(bytes) {
                if let refusal = refusal(for: embedded) {
                    return "\(address) carries \(embedded)\(role.map { " (\($0))" } ?? ""): \(refusal)"
                }
            }
        }
        return nil
    }
}
