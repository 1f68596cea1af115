#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address as dialled, in network byte order.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4([UInt8])
    case v6([UInt8])

    /// Parses the standard text forms ("10.0.0.1", "::1", "::ffff:127.0.0.1"); nil for anything else.
    public init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self = .v4(withUnsafeBytes(of: &v4) { Array($0) })
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            self = .v6(withUnsafeBytes(of: &v6) { Array($0) })
            return
        }
        return nil
    }

    public var bytes: [UInt8] {
        switch self {
        case .v4(let bytes), .v6(let bytes): bytes
        }
    }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = if case .v4 = self { AF_INET } else { AF_INET6 }
        _ = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A range of addresses, "10.0.0.0/8" or "::1/128"; a bare address is a range of one.
public struct AddressRange: Hashable, Sendable, CustomStringConvertible {
    public let base: IPAddress
    public let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let base = IPAddress(parts[0]) else { return nil }
        let maximum = base.bytes.count * 8
        let length = parts.count == 2 ? Int(parts[1]) : maximum
        guard let length, (0...maximum).contains(length) else { return nil }
        self.base = base
        self.prefixLength = length
    }

    public func contains(_ address: IPAddress) -> Bool {
        let (lhs, rhs) = (base.bytes, address.bytes)
        guard lhs.count == rhs.count else { return false }
        var remaining = prefixLength
        for index in lhs.indices where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if lhs[index] & mask != rhs[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    public var description: String { "\(base)/\(prefixLength)" }
}
