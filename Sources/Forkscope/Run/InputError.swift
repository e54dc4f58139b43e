/// A problem with the user's input, reported as one line that names the file and the field.
public struct InputError: Error, CustomStringConvertible, Equatable {
    /// The file at fault, as the user would recognise it (e.g. `runs/x/run.json`).
    public let file: String
    /// The field inside it (`branches[3].fork_at`, `tensor "p0.b1"`), or nil for the whole file.
    public let field: String?
    public let message: String

    public init(file: String, field: String? = nil, _ message: String) {
        self.file = file
        self.field = field
        self.message = message
    }

    public var description: String {
        let parts = [file] + (field.map { [$0] } ?? []) + [message]
        return parts.map(Self.oneLine).joined(separator: ": ")
    }

    /// `text` with line breaks (which ids and tokens may hold) turned into spaces, so that an
    /// error is always one line.
    static func oneLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map {
            switch $0 { case "\n", "\r", "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}": " " ; default: $0 }
        }))
    }
}

extension InputError {
    /// A JSON document that does not decode: the field is the path to the value at fault
    /// (`layers[3].views`).
    init(file: String, decoding error: DecodingError) {
        func path(_ keys: [CodingKey]) -> String? {
            let text = keys.reduce("") { out, key in key.intValue.map { out + "[\($0)]" } ?? (out.isEmpty ? key.stringValue : out + "." + key.stringValue) }
            return text.isEmpty ? nil : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            self.init(file: file, field: path(context.codingPath + [key]), "missing")
        case .typeMismatch(let type, let context):
            self.init(file: file, field: path(context.codingPath), "is not \(type == String.self ? "text" : type is any Numeric.Type ? "a number" : "of the expected kind")")
        case .valueNotFound(_, let context):
            self.init(file: file, field: path(context.codingPath), "is null")
        case .dataCorrupted(let context):
            self.init(file: file, field: path(context.codingPath), "is not valid JSON")
        @unknown default:
            self.init(file: file, "cannot be read")
        }
    }
}
