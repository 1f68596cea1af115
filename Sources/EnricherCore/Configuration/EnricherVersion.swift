/// The release, as `enricher --version`, the start-up log and the outbound User-Agent state it.
public enum EnricherVersion {
    public static let current = "0.3.0"

    /// `Enricher/<version> (<contact>)`, the User-Agent providers ask for.
    public static func userAgent(contact: String) -> String {
        contact.isEmpty ? "Enricher/\(current)" : "Enricher/\(current) (\(contact))"
    }
}
