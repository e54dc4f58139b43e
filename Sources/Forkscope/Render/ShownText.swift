/// The run's free text (title, model, labels, ids) as pages show it: control characters made
/// visible, since XML (and so inline SVG) does not allow most of them.
struct ShownText: Sendable {
    let title: String
    let modelName: String
    let modelVersion: String?
    let labels: [String]
    let ids: [String]

    init(_ run: ActivationRun) {
        title = TokenText.visible(run.title)
        modelName = TokenText.visible(run.model.name)
        modelVersion = run.model.version.map(TokenText.visible)
        labels = run.branches.map { TokenText.visible($0.label) }
        ids = run.branches.map { TokenText.visible($0.id) }
    }
}
