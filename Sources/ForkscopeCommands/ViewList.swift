import ArgumentParser
import Forkscope
import Foundation

/// `--views`: views by name, each optionally `+z`.
struct ViewList: ExpressibleByArgument, Sendable {
    let views: [View]

    init?(argument: String) {
        var views = [View]()
        for name in argument.split(separator: ",") {
            guard let view = View(name: name.trimmingCharacters(in: .whitespaces)) else { return nil }
            views.append(view)
        }
        self.views = views
    }

    static var allValueStrings: [String] { View.Base.allCases.map(\.rawValue) }
}
