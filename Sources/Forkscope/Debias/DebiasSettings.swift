/// Settings of the views' fits.
public struct DebiasSettings: Sendable, Equatable, Codable {
    public enum LeaceConcept: String, CaseIterable, Sendable, Codable { case basis, onehot, both }

    public var regressDegree = 3
    public var regressFourier = 4
    public var leaceConcept = LeaceConcept.basis
    /// Directions ABTT removes; nil for the paper's d/100.
    public var abttComponents: Int?

    public init() {}
}
