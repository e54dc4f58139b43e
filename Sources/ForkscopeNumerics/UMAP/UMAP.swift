import Foundation

/// Uniform Manifold Approximation and Projection to two dimensions (McInnes, Healy & Melville,
/// "UMAP: Uniform Manifold Approximation and Projection for Dimension Reduction", 2018), following
/// umap-learn's algorithm and defaults step by step:
/// k nearest neighbours (exact below 4,096 points, RP trees + NN-descent above) → fuzzy simplicial
/// set → pruning of edges under max / epochs → spectral initialisation scaled to 10 with 1e-4 noise,
/// then each axis rescaled to [0, 10] → SGD with negative sampling.
/// Deterministic: the same seed gives the same layout on any number of threads.
public struct UMAP: Sendable {

    public struct Options: Sendable, Equatable, Codable {
        public var neighbours = 15
        public var minDist = 0.1
        public var spread = 1.0
        /// nil: 500 below 10,001 points, 200 above (umap-learn's default).
        public var epochs: Int? = nil
        public var metric: Neighbours.Metric = .euclidean
        public var seed: UInt64 = 42
        /// How the layout starts (umap-learn's `init`): spectral, or uniform random in [−10, 10]².
        public var initialisation: SpectralLayout.Outcome = .spectral
        public var negativeSampleRate = 5
        /// umap-learn switches from exact to approximate neighbours at this many points.
        public var exactNeighbourLimit = 4096
        public init() {}

        /// Checks the options as umap-learn's estimator checks its parameters before fitting.
        public func validate() throws(OptionsError) {
            guard neighbours >= 2 else { throw .neighbours }
            guard minDist >= 0, spread > 0, minDist <= spread else { throw .minDist }
            if let epochs, epochs < 0 { throw .epochs }
        }
    }

    /// An option out of its range, named as umap-learn names it.
    public enum OptionsError: Error, Equatable, CustomStringConvertible {
        /// n_neighbors below 2.
        case neighbours
        /// min_dist outside [0, spread], or spread not positive.
        case minDist
        /// n_epochs negative.
        case epochs

        public var description: String {
            switch self {
            case .neighbours: "n_neighbors must be at least 2"
            case .minDist: "min_dist must lie in [0, spread] and spread must be positive"
            case .epochs: "n_epochs must not be negative"
            }
        }
    }

    /// A layout and how it was made.
    public struct Result: Sendable {
        /// n × 2.
        public let layout: Matrix
        public let graph: NeighbourGraph
        public let initialisation: SpectralLayout.Outcome
        public let epochs: Int
        /// Wall time of each stage, in order: neighbours, fuzzy set, initialisation, optimisation.
        public var seconds: [(stage: String, seconds: Double)] = []
    }

    public var options: Options
    public init(options: Options = Options()) { self.options = options }

    /// Runs OpenBLAS on one thread (process-wide): UMAP spreads its own work over `threads`, and
    /// OpenBLAS's kernels round differently with more threads (its gemv on the Lanczos basis gave a
    /// different layout on 2 threads than on 1), which would make the layout depend on whoever set
    /// OpenBLAS's thread count last.
    public func embed(_ x: Matrix, threads: Int = 1) -> Result {
        BLASThreads.set(1)
        let n = x.rows
        let k = min(options.neighbours, n)
        var graph: NeighbourGraph!
        let seconds = Stopwatch.time {
            graph = n < options.exactNeighbourLimit
                ? ExactNeighbours.search(x, k: k, metric: options.metric, threads: threads)
                : ApproximateNeighbours.search(x, k: k, metric: options.metric, seed: options.seed, threads: threads)
        }
        var result = embed(x, neighbours: graph, threads: threads)
        result.seconds.insert(("neighbours", seconds), at: 0)
        return result
    }

    /// The layout from a given neighbour graph (`x` is needed only to place disconnected components).
    public func embed(_ x: Matrix, neighbours: NeighbourGraph, threads: Int = 1) -> Result {
        BLASThreads.set(1)
        let n = x.rows
        let defaultEpochs = n <= 10_000 ? 500 : 200
        let epochs = options.epochs ?? defaultEpochs
        guard n > 2 else {
            // Fewer than 3 points have no neighbourhoods to keep: put them on a line, in order.
            return Result(layout: Matrix(rows: n, cols: 2, storage: (0..<n).flatMap { [Double($0), 0] }),
                          graph: neighbours, initialisation: .random, epochs: 0)
        }
        var seconds = [(stage: String, seconds: Double)]()
        var fuzzy = SparseGraph(n: 0, triples: [])
        seconds.append(("fuzzy set", Stopwatch.time {
            fuzzy = FuzzySimplicialSet.build(neighbours)
            let maxWeight = fuzzy.weights.max() ?? 0
            // umap-learn prunes with the default epoch count when asked for 10 or fewer.
            let pruning = epochs > 10 ? epochs : defaultEpochs
            fuzzy = fuzzy.pruned(below: maxWeight / Double(pruning))
        }))
        var spectral = Matrix(rows: 0, cols: 0), outcome = SpectralLayout.Outcome.random
        seconds.append(("initialisation", Stopwatch.time {
            if options.initialisation == .spectral {
                (spectral, outcome) = SpectralLayout.layout(fuzzy, data: x, seed: options.seed)
            } else {
                var rng = RandomStream(seed: options.seed, 8)
                spectral = SpectralLayout.randomLayout(n, rng: &rng)
            }
        }))
        // After a spectral start umap-learn's noisy_scale_coords (largest |coordinate| 10, N(0, 1e-4)
        // noise); after any start each axis to [0, 10].
        var rng = RandomStream(seed: options.seed, 6)
        let peak = spectral.storage.map(abs).max() ?? 0
        let noisy = options.initialisation == .spectral
        var initial = spectral.storage.map {
            noisy ? Float(peak > 0 ? $0 * 10 / peak : $0) + Float(rng.normal() * 1e-4) : Float($0)
        }
        for axis in 0..<2 {
            let values = stride(from: axis, to: initial.count, by: 2).map { initial[$0] }
            let lo = values.min()!, hi = values.max()!
            for i in stride(from: axis, to: initial.count, by: 2) { initial[i] = hi > lo ? 10 * (initial[i] - lo) / (hi - lo) : 0 }
        }
        let (a, b) = CurveParameters.fit(spread: options.spread, minDist: options.minDist)
        var optimiser = LayoutOptimizer(a: Float(a), b: Float(b))
        optimiser.negativeSampleRate = Float(options.negativeSampleRate)
        var layout = [Float]()
        seconds.append(("optimisation", Stopwatch.time {
            layout = optimiser.optimise(fuzzy, initial: initial, epochs: epochs, seed: options.seed, threads: threads)
        }))
        return Result(layout: Matrix(rows: n, cols: 2, storage: layout.map(Double.init)), graph: neighbours,
                      initialisation: outcome, epochs: epochs, seconds: seconds)
    }
}
