import ArgumentParser
import Forkscope
import ForkscopeNumerics

// The engine's choices as command-line values: each parses itself, and its help lists the values.

extension DebiasSettings.LeaceConcept: ExpressibleByArgument {}
extension Neighbours.Metric: ExpressibleByArgument {}
extension SpectralLayout.Outcome: ExpressibleByArgument {}

extension FailCondition: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}
