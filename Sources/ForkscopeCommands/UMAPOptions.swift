import ArgumentParser
import ForkscopeNumerics

/// UMAP's options, shared by `build` and `umap`; checked by `UMAP.Options.validate()` as
/// umap-learn's estimator checks them, each problem named here by its flag.
struct UMAPOptions: ParsableArguments {
    @Option(help: "UMAP: neighbours per point (umap-learn's n_neighbors).")
    var umapNeighbours = 15

    @Option(help: "UMAP: min_dist.")
    var umapMinDist = 0.1

    @Option(help: "UMAP: spread.")
    var umapSpread = 1.0

    @Option(help: "UMAP: epochs (default 500 up to 10,000 points, 200 above).")
    var umapEpochs: Int?

    @Option(help: "UMAP: input metric.")
    var umapMetric = Neighbours.Metric.euclidean

    @Option(help: "UMAP: random seed.")
    var umapSeed: UInt64 = 42

    @Option(help: "UMAP: how the layout starts (umap-learn's init).")
    var umapInit = SpectralLayout.Outcome.spectral

    var options: UMAP.Options {
        var o = UMAP.Options()
        o.neighbours = umapNeighbours
        o.minDist = umapMinDist
        o.spread = umapSpread
        o.epochs = umapEpochs
        o.metric = umapMetric
        o.seed = umapSeed
        o.initialisation = umapInit
        return o
    }

    func validate() throws {
        do {
            try options.validate()
        } catch {
            switch error {
            case .neighbours: throw ValidationError("--umap-neighbours must be at least 2")
            case .minDist: throw ValidationError("--umap-min-dist must lie in [0, --umap-spread]")
            case .epochs: throw ValidationError("--umap-epochs must not be negative")
            }
        }
    }
}
