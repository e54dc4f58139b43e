/// Something the build could work around, shown to the user without stopping the build.
/// It names the file and field as an `InputError` does.
public struct Warning: Sendable, Equatable, CustomStringConvertible {
    private let problem: InputError

    public init(file: String, field: String? = nil, _ message: String) {
        problem = InputError(file: file, field: field, message)
    }

    public var file: String { problem.file }
    public var field: String? { problem.field }
    public var message: String { problem.message }
    public var description: String { problem.description }
}
