/// Hovering a branch's legend entry, line or point picks it out in every plot of a page (the
/// other branches fade and its quiet trajectory comes to full strength), with CSS alone: two
/// rules per branch, `.figs:has(.bN:hover) .series:not(.bN)` and `… .bN .traj`. The rules live in
/// one stylesheet at the site root, written once for the run's branch count rather than inlined
/// in every page.
enum BranchHighlight {
    static let file = "highlight.css"

    static func stylesheet(branches: Int) -> String {
        (0..<branches).map {
            ".figs:has(.b\($0):hover) .series:not(.b\($0)){opacity:.1}\n.figs:has(.b\($0):hover) .b\($0) .traj{stroke-width:2;stroke-opacity:.9}\n"
        }.joined()
    }
}
