/// Why the branches look alike, as a ladder of views each undoing one more cause of the sameness:
/// the raw states (massive tokens already out of every fit), then every dimension z-scored (the
/// rogue dimensions neutralised, Timkey & van Schijndel 2021), then position removed linearly as
/// well (the best z-scored linear eraser). Each rung reads the content measure, the linear probe
/// and the nonlinear (kNN) probe of position with its control, per layer.
public struct Attribution: Sendable {
    public enum Step: String, Sendable, Codable {
        case raw
        case rogueDimensions = "rogue_dimensions"
        case position
    }

    public struct Rung: Sendable {
        public let step: Step
        public let view: View
    }

    /// The neighbourhood measure of content: root kNN purity, or branch kNN purity in a run of one root.
    public let content: Measure.ID
    public let rungs: [Rung]

    /// The views whose z-scored form may be the third rung: the linear erasers.
    public static let erasers: [View] = [View(.positionMean, standardized: true), View(.regress, standardized: true),
                                         View(.leace, standardized: true)]

    /// Nil unless the raw view was measured; rungs whose view was not measured are left out.
    /// - Parameters:
    ///   - views: the views built, in order; `means`: their measures over the middle layers.
    init?(views built: [View], means: [View: [Measure.ID: Double]], content: Measure.ID) {
        guard built.contains(.raw) else { return nil }
        self.content = content
        var rungs = [Rung(step: .raw, view: .raw)]
        if built.contains(View(.raw, standardized: true)) { rungs.append(Rung(step: .rogueDimensions, view: View(.raw, standardized: true))) }
        if let eraser = Verdict.choose(among: Self.erasers.filter(built.contains), means: means, content: content) {
            rungs.append(Rung(step: .position, view: eraser.view))
        }
        self.rungs = rungs
    }

    /// The rung that z-scores, and the one that removes position.
    public func rung(_ step: Step) -> Rung? { rungs.first { $0.step == step } }
}
