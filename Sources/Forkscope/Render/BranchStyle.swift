/// Colours and marker shapes of branches.
///
/// Colours are Paul Tol's "muted" qualitative scheme (Tol, *Colour Schemes*, SRON/EPS/TN/09-002,
/// 2021), chosen to stay distinct under the common colour-vision deficiencies. Past nine
/// branches colours repeat with a different marker shape, so (colour, shape) stays unique for 36.
public struct BranchStyle: Sendable, Equatable {
    public enum Shape: String, Sendable, CaseIterable { case circle, square, triangle, diamond }

    public let color: String
    public let shape: Shape

    public static let colors = ["#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE",
                                "#882255", "#44AA99", "#999933", "#AA4499"]

    public static func forBranch(_ index: Int) -> BranchStyle {
        let shapes = Shape.allCases
        return BranchStyle(color: colors[index % colors.count],
                           shape: shapes[(index / colors.count) % shapes.count])
    }
}
