import Foundation

/// Progress on stderr, only when stderr is a terminal.
struct Progress {
    let enabled: Bool
    init(enabled: Bool) { self.enabled = enabled && isatty(2) == 1 }

    func report(_ stage: String) {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(stage)".utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
