import ArgumentParser
import Forkscope

/// The views and how they are fitted: shared by build and diff.
struct ViewOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Comma-separated views: \(View.Base.allCases.map(\.rawValue).joined(separator: ", ")), each optionally +z (z-scored), e.g. raw,regress,regress+z. Default: \(View.defaults.map(\.name).joined(separator: ",")) (zero_pe where the run has it).", valueName: "list"))
    var views: ViewList?

    @Option(help: "A token whose norm exceeds this many times the layer's median is a massive activation.")
    var massiveRatio: Double = 10

    @Flag(help: "Keep massive activations in every fit and measure (by default they are left out).")
    var keepMassive = false

    @Option(help: "Polynomial degree of the smooth position basis (regress, leace).")
    var regressDegree = 3

    @Option(help: "Fourier terms of the smooth position basis (regress, leace).")
    var regressFourier = 4

    @Option(help: "The concept LEACE erases: basis (smooth position basis), onehot (one column per position) or both.")
    var leaceConcept = DebiasSettings.LeaceConcept.basis

    @Option(help: "Principal directions all-but-the-top removes (default: hidden size / 100).")
    var abttComponents: Int?

    func validate() throws {
        guard massiveRatio > 1 else { throw ValidationError("--massive-ratio must be above 1") }
        guard regressDegree >= 0, regressFourier >= 0, regressDegree + regressFourier > 0 else {
            throw ValidationError("--regress-degree and --regress-fourier must be non-negative and not both 0")
        }
        if let abttComponents, abttComponents < 1 { throw ValidationError("--abtt-components must be at least 1") }
    }

    func apply(to o: inout LayerAnalysis.Options) {
        if let views { o.views = views.views }
        o.massiveRatio = massiveRatio
        o.keepMassive = keepMassive
        o.debias.regressDegree = regressDegree
        o.debias.regressFourier = regressFourier
        o.debias.leaceConcept = leaceConcept
        o.debias.abttComponents = abttComponents
    }
}
