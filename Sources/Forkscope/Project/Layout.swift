import ForkscopeNumerics

/// A view's 2-D layout, of any `ProjectionKind`: a point for each token the view covers.
public struct Layout: Sendable, Codable {
    /// The point of every run token, nil where the layout has none for the token.
    public let points: [Point?]
    /// Share of the fitted tokens' variance along each axis, where the method measures it (PCA;
    /// empty with fewer than 2 fitted tokens and for other kinds).
    public let explainedVariance: [Double]
    /// How the layout started, where the method has a choice (UMAP: "spectral", or "random" when
    /// the eigensolver failed); nil otherwise.
    public let initialisation: String?

    public init(points: [Point?], explainedVariance: [Double] = [], initialisation: String? = nil) {
        self.points = points
        self.explainedVariance = explainedVariance
        self.initialisation = initialisation
    }

    /// Exact PCA to two components, fitted on the view's rows `fitRows` and applied to all its rows.
    /// - Parameter fit: the fit, where the caller computed it from moments it shares with other fits.
    public static func pca(_ view: ViewStates, fitRows: [Int], tokenCount: Int, fit given: PCA? = nil) -> Layout {
        var points = [Point?](repeating: nil, count: tokenCount)
        guard fitRows.count >= 2 else { return Layout(points: points) }
        let fit = given ?? fitted(view.states, rows: fitRows)
        let scores = fit.project(view.states)
        for (row, t) in view.tokens.enumerated() {
            points[t] = Point(x: scores[row, 0], y: scores[row, 1])
        }
        return Layout(points: points, explainedVariance: fit.explainedVarianceRatio)
    }

    /// PCA of some rows: from their scatter matrix (one pass, no copy) when they outnumber the
    /// dimensions, else from the copied rows' Gram matrix, the smaller problem.
    static func fitted(_ x: Matrix, rows: [Int]) -> PCA {
        guard rows.count > x.cols else { return PCA(fitting: x.selectingRows(rows), components: 2) }
        let m = RowMoments.of(x, rows: rows)
        return PCA(scatter: m.scatter, mean: m.mean, rows: m.count, sumOfSquares: m.sumOfSquares)
    }

    /// UMAP of the view's rows `fitRows` (the others have no point: UMAP has no out-of-sample map
    /// as faithful as its fit); nil with fewer than 4 of them.
    public static func umap(_ view: ViewStates, fitRows: [Int], tokenCount: Int, options: UMAP.Options, threads: Int) -> Layout? {
        guard fitRows.count >= 4 else { return nil }
        let result = UMAP(options: options).embed(view.states.selectingRows(fitRows), threads: threads)
        var points = [Point?](repeating: nil, count: tokenCount)
        for (i, row) in fitRows.enumerated() {
            points[view.tokens[row]] = Point(x: result.layout[i, 0], y: result.layout[i, 1])
        }
        return Layout(points: points, initialisation: result.initialisation.rawValue)
    }

    /// This layout rotated or reflected and shifted (never scaled) onto `target` by orthogonal
    /// Procrustes over the tokens both have, so that layouts of one layer's views can be compared
    /// by eye. The fit uses the tokens both have, or those of `tokens` both have. Unchanged when
    /// that leaves fewer than 2.
    public func aligned(to target: Layout, over tokens: [Int]? = nil) -> Layout {
        let shared = (tokens ?? Array(points.indices)).filter { points[$0] != nil && target.points[$0] != nil }
        guard shared.count >= 2 else { return self }
        let fit = Procrustes(moving: matrix(of: shared), target: target.matrix(of: shared))
        let mine = points.indices.filter { points[$0] != nil }
        let moved = fit.apply(matrix(of: mine))
        var aligned = points
        for (r, t) in mine.enumerated() { aligned[t] = Point(x: moved[r, 0], y: moved[r, 1]) }
        return Layout(points: aligned, explainedVariance: explainedVariance, initialisation: initialisation)
    }

    // Stored (`AnalysisCache`) as the tokens that have a point and their coordinates, in three flat
    // arrays: a tenth of the time to decode that an object per point takes.
    private enum CodingKeys: String, CodingKey { case count, tokens, x, y, explainedVariance, initialisation }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let tokens = points.indices.filter { points[$0] != nil }
        try c.encode(points.count, forKey: .count)
        try c.encode(tokens, forKey: .tokens)
        try c.encode(tokens.map { points[$0]!.x }, forKey: .x)
        try c.encode(tokens.map { points[$0]!.y }, forKey: .y)
        try c.encode(explainedVariance, forKey: .explainedVariance)
        try c.encodeIfPresent(initialisation, forKey: .initialisation)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let count = try c.decode(Int.self, forKey: .count)
        let tokens = try c.decode([Int].self, forKey: .tokens), x = try c.decode([Double].self, forKey: .x), y = try c.decode([Double].self, forKey: .y)
        guard count >= 0, x.count == tokens.count, y.count == tokens.count, tokens.allSatisfy({ (0..<count).contains($0) }) else {
            throw DecodingError.dataCorruptedError(forKey: .tokens, in: c, debugDescription: "layout arrays disagree")
        }
        var points = [Point?](repeating: nil, count: count)
        for (i, t) in tokens.enumerated() { points[t] = Point(x: x[i], y: y[i]) }
        self.init(points: points, explainedVariance: try c.decode([Double].self, forKey: .explainedVariance),
                  initialisation: try c.decodeIfPresent(String.self, forKey: .initialisation))
    }

    /// The points of the given tokens as an n x 2 matrix.
    func matrix(of tokens: [Int]) -> Matrix {
        Matrix(rows: tokens.count, cols: 2, storage: tokens.flatMap { [points[$0]!.x, points[$0]!.y] })
    }
}
