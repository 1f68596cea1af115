/// One size a catalog UI asks for: the rendition fits in `longSide` x `longSide`, never enlarged.
public struct RenditionSpec: Sendable, Equatable {
    /// The name it is stored and served under ("thumb", "display").
    public var name: String
    /// The longest side in pixels; values below 1 are treated as 1.
    public var longSide: Int

    public init(name: String, longSide: Int) {
        self.name = name
        self.longSide = longSide
    }
}
