/// Colours of views in charts: Okabe & Ito's colour-blind-safe palette ("Color Universal Design", 2008).
enum ViewPalette {
    static let colors = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#D55E00", "#0072B2", "#CC79A7", "#F0E442"]
    static func color(_ index: Int) -> String { colors[index % colors.count] }
}
