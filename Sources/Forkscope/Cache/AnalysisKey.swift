import Foundation
import ForkscopeNumerics

/// The cache keys of a build's analyses: SHA-256 of everything a layer's analysis depends on.
///
/// - the build of Forkscope (`build`: its version and the digest of its executable, so that a
///   rebuilt binary never reads results of the code it replaced);
/// - the run's bytes (`RunDigest`: run.json and every tensor file in use);
/// - the layer and the analysis options as they apply to it: every field of
///   `LayerAnalysis.Options` but `threads` (results do not depend on it) and `umapLayers`, which
///   enters only as whether UMAP runs at this layer, so that changing `--umap-layers`
///   re-analyses only the layers it adds or removes.
///
/// The second pass of `UMAPViews.auto` (the recommended view's UMAP, once the verdict is known)
/// has its own key: the layer's, with the view.
public enum AnalysisKey {
    /// The key of a layer's analysis with the recommended view's UMAP added (`UMAPViews.auto`).
    public static func withUMAP(_ key: String, of view: View) -> String { Digest.hex(fields: ["recommended-umap", key, view.name]) }

    /// The options of `LayerAnalysis.Options` that shape one layer's analysis, as hashed.
    struct LayerOptions: Encodable {
        var views: [View]
        var debias: DebiasSettings
        var massiveRatio: Double
        var keepMassive: Bool
        var projections: [ProjectionKind]
        var umapOptions: UMAP.Options
        /// `umapLayers` as it applies to this layer.
        var umapHere: Bool
        var umapViews: UMAPViews
        var clusters: ClusterMethod
    }

    /// The fields of `LayerAnalysis.Options` that `LayerOptions` leaves out, as said above. A test
    /// checks that every other field is hashed, so that a new option cannot be forgotten.
    static let unkeyedOptions: Set<String> = ["threads", "umapLayers"]

    /// The key of a layer's analysis.
    public static func layer(build: String, run: String, layer: Int, options: LayerAnalysis.Options) -> String {
        let keyed = LayerOptions(views: options.views, debias: options.debias, massiveRatio: options.massiveRatio,
                                 keepMassive: options.keepMassive, projections: options.projections, umapOptions: options.umapOptions,
                                 umapHere: options.projector.wants(.umap, layer: layer), umapViews: options.umapViews,
                                 clusters: options.clusters)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = (try? encoder.encode(keyed)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return Digest.hex(fields: ["forkscope.analysis/1", build, run, String(layer), json])
    }

    /// This build of Forkscope: its version and the SHA-256 of its executable (read once).
    public static let build: String = {
        let d = Digest()
        let read = d.update(file: "/proc/self/exe")
        return Forkscope.version + " " + (read ? d.hex() : "unknown-executable")
    }()
}
