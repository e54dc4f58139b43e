/// Dots drawn as zero-length round-capped strokes ("Mx yh0"), a path per colour. Up to `fine`
/// points every dot is drawn where it lies (to a tenth of a unit); above, dots land on a grid of
/// two SVG units (half a dot's width: finer than the eye separates dots) and each spot of a colour
/// is drawn once, so a plot of 16,384 tokens weighs what its covered area does, not its token count.
struct DotPaths {
    private var paths = [String: String]()
    private var seen = [String: Set<Int>]()
    /// Whether dots snap to the grid and repeat spots are dropped.
    let snapped: Bool

    static let fine = 2_000

    init(points: Int) { snapped = points > Self.fine }

    mutating func add(_ x: Double, _ y: Double, colour: String) {
        guard snapped else {
            paths[colour, default: ""] += "M\(coord(x)) \(coord(y))h0"
            return
        }
        let (ix, iy) = (Int((x / 2).rounded()) * 2, Int((y / 2).rounded()) * 2)
        guard seen[colour, default: []].insert(ix &* 1_000_003 &+ iy).inserted else { return }
        paths[colour, default: ""] += "M\(ix) \(iy)h0"
    }

    /// The path data of a colour ("" if none).
    func d(_ colour: String) -> String { paths[colour] ?? "" }
}
