/// Dots drawn as zero-length round-capped strokes ("Mx yh0"), a path per colour, each spot drawn
/// once: a dot lands on whole SVG units (a plot is a few hundred units wide and a dot four), so
/// tokens that fall on the same unit of the same colour cost one dot. A plot of 16,384 tokens then
/// weighs what its covered area does, not what its token count does.
struct DotPaths {
    private var paths = [String: String]()
    private var seen = [String: Set<Int>]()

    mutating func add(_ x: Double, _ y: Double, colour: String) {
        let (ix, iy) = (Int(x.rounded()), Int(y.rounded()))
        guard seen[colour, default: []].insert(ix &* 1_000_003 &+ iy).inserted else { return }
        paths[colour, default: ""] += "M\(ix) \(iy)h0"
    }

    /// The path data of a colour ("" if none).
    func d(_ colour: String) -> String { paths[colour] ?? "" }
}
