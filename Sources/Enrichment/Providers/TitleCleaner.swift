/// Turns a retail product title ("Dune (4K Ultra HD + Blu-ray + Digital)", "Elden Ring - PlayStation 4")
/// into the work's title ("Dune", "Elden Ring"), which is what TMDb, GiantBomb and IGDB search by.
/// It removes edition, format and platform noise only; words it does not know stay.
public enum TitleCleaner {
    public static func clean(_ title: String) -> String {
        // Compiled per call: `Regex` is not Sendable, so it cannot be a shared constant, and a title
        // is cleaned once per entity.
        let pattern = Pattern()
        var text = title.replacing(pattern.byAuthor, with: "")
        // `[...]` groups go (retail listings use them only for formats and platforms); `(...)` groups
        // go when they hold a format, edition, platform or year word, so "(Le Fabuleux Destin...)" stays.
        text = text.replacing(pattern.squareGroup, with: " ")
        text = text.replacing(pattern.roundGroup) { match in
            let inside = match.output[1].substring ?? ""
            return inside.contains(pattern.groupNoise) ? " " : String(match.output[0].substring ?? "")
        }
        for noise in pattern.noise {
            text = text.replacing(noise, with: " ")
        }
        text = text.replacing(pattern.emptyGroup, with: " ")
        text = text.replacing(pattern.spaces, with: " ")
        text = text.replacing(pattern.spaceBeforePunctuation, with: "")
        return text.replacing(pattern.danglingEdges, with: "")
    }

    private struct Pattern {
        static func make(_ pattern: String) -> Regex<AnyRegexOutput> {
            // The patterns are constants: a failure here is a programming error the tests catch.
            try! Regex(pattern).ignoresCase().wordBoundaryKind(.simple)
        }

        static let format = #"(?:4k\s+ultra\s+hd|ultra\s+hd|4k|uhd|blu-?ray(?:\s+3d)?|hd[\s-]dvd|dvd|vhs)"#
        static let digital = #"digital(?:\s+(?:copy|hd|code))?"#
        static let platform = #"playstation\s*[1-5]|playstation\s+(?:vita|vr)|ps[1-5]|ps\s*vita|psp|xbox\s+(?:one|360|series\s+[xs](?:\s*\|\s*s)?)|nintendo\s+switch(?:\s+2)?|nintendo\s+3ds|nintendo\s+ds|wii\s+u"#
        static let editionWord = #"anniversary|special|collector['’]?s|limited|deluxe|widescreen|full\s*screen|extended|ultimate|definitive|complete|gold|standard|premium|platinum|legendary|criterion|game\s+of\s+the\s+year|goty|remastered|theatrical|director['’]?s|steelbook|launch|day\s+one"#

        /// UPCitemdb book listings: "The Lost Fleet: Victorious - by Jack Campbell (Paperback)".
        let byAuthor = Self.make(#"\s+[-–]\s+by\s+.*$"#)
        let squareGroup = Self.make(#"\[[^\[\]]*\]"#)
        let roundGroup = Self.make(#"\(([^()]*)\)"#)
        let groupNoise = Self.make(
            #"\b(?:blu-?ray|dvd|4k|uhd|ultra\s*hd|hd|digital|widescreen|full\s*screen|edition|dis[ck]s?|combo|steelbook|region|import|cut|unrated|rated|theatrical|paperback|hardcover|hardback|mass\s+market|audiobook|audio|cd|vinyl|lp|box\s*set|set|pack|ps[1-5]|psp|vita|playstation|xbox|nintendo|switch|wii|3ds|ds|pc|mac|dvd-rom|cd-rom|steam|goty|remaster(?:ed)?|version|bilingual|subtitled|dubbed|ntsc|pal|vhs|\d{4}(?:\s*[-–]\s*\d{4})?)\b|\+"#
        )
        let noise: [Regex<AnyRegexOutput>] = [
            // Format chains: "Blu-ray/DVD Combo", "4K Ultra HD + Blu-ray + Digital".
            Self.make(#"\b\#(Self.format)\b(?:\s*(?:\+|/|&|and|with)?\s*\b(?:\#(Self.format)|\#(Self.digital))\b)*(?:\s+combo(?:\s+pack)?)?"#),
            Self.make(#"\s*\+\s*\#(Self.digital)\b"#),
            // "2-Disc Special Edition", "Two-Disc Set".
            Self.make(#"\b(?:\d+|two|three|four|single|double)[\s-]?dis[ck](?:\s+(?:set|collection|combo))?\b"#),
            Self.make(#"\b(?:\d+(?:st|nd|rd|th)\s+)?(?:\#(Self.editionWord))(?:\s+(?:\#(Self.editionWord)))*\s+edition\b"#),
            Self.make(#"\b(?:director['’]?s|extended|unrated|theatrical)\s+cut\b"#),
            Self.make(#"\b(?:steelbook|widescreen|full\s*screen|region\s+\d)\b"#),
            Self.make(#"\b(?:\#(Self.platform))\b"#),
            // Short platform names only at the end after a separator: "Bait and Switch" keeps its word.
            Self.make(#"\s*[-–:,|]\s*(?:pc|mac|switch|wii|ds|3ds|xbox|windows|steam|pc\s+dvd(?:-rom)?)\s*$"#),
        ]
        let emptyGroup = Self.make(#"\(\s*\)|\[\s*\]"#)
        let spaces = Self.make(#"\s+"#)
        let spaceBeforePunctuation = Self.make(#"\s+(?=[,:;!?])"#)
        let danglingEdges = Self.make(#"^[\s\-–:,/+|&]+|[\s\-–:,/+|&]+$"#)
    }
}
