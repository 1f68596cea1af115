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
    ].map { (AddressRange($0.0)!, $0.1) }

    /// IPv6 forms that carry an IPv4 address in their last 32 bits: IPv4-mapped, IPv4-compatible, NAT64.
    static let embeddingIPv4: [AddressRange] = ["::ffff:0:0/96", "::/96", "64:ff9b::/96"].map { AddressRange($0)! }

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
        if case .v6(let bytes) = address, Self.embeddingIPv4.contains(where: { $0.contains(address) }) {
            let embedded = IPAddress.v4(Array(bytes[12...]))
            return refusal(for: embedded).map { "\(address) carries \(embedded): \($0)" }
        }
        return nil
    }
}
