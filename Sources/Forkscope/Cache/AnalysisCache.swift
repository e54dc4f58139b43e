import Foundation

/// A folder of results a build can reuse (`--cache DIR`; default `$XDG_CACHE_HOME/forkscope`, else
/// `~/.cache/forkscope`): each layer's analysis under its `AnalysisKey`, and, per output folder, the
/// `SiteManifest` that lets a rebuild skip pages whose inputs did not change.
///
/// Entries are addressed by their key, which hashes every input of the value (so an entry is
/// never updated, only written), and each carries its payload's SHA-256:
///
///     forkscope.cache/1 <sha256 of payload> <payload bytes>\n<payload>
///
/// A truncated or corrupt entry fails that check and is reported, removed and recomputed.
/// Concurrent builds are safe without a lock: an entry is written to a temporary file in the same
/// folder and renamed into place (rename(2) is atomic), so a reader sees a whole entry or none, and
/// two builds writing one key write the same bytes. Nothing here decides what a build outputs:
/// a cache that cannot be read or written only costs time, and its problems are warnings that
/// stay out of report.json.
public final class AnalysisCache: @unchecked Sendable {
    public enum Kind: String, CaseIterable, Sendable {
        /// A layer's analysis (`LayerAnalysis`).
        case layer
        /// What a build last wrote to an output folder (`SiteManifest`).
        case site
    }

    /// The cache folder's format, a folder of its own: a new format starts afresh beside the old.
    static let format = "v1"
    static let header = "forkscope.cache/1"
    /// Least recently used entries go once the cache holds more than this.
    public static let defaultLimit = 2 << 30

    public let directory: String
    public let limit: Int
    /// Entries kept decoded in memory, at most this many (0: none): for a process that rebuilds
    /// again and again (`forkscope serve`), which then skips decoding what it used last time.
    public let inMemory: Int
    private let lock = NSLock()
    private var problems = [Warning]()
    private var memory = [String: any Sendable]()
    private var memoryOrder = [String]()

    /// The user's cache folder for Forkscope: `$XDG_CACHE_HOME/forkscope`, else `$HOME/.cache/forkscope`;
    /// nil when neither variable is set.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return (xdg as NSString).appendingPathComponent("forkscope") }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return (home as NSString).appendingPathComponent(".cache/forkscope")
    }

    /// - Throws: an `InputError` naming the folder when it cannot be created.
    public init(directory: String, limit: Int = AnalysisCache.defaultLimit, inMemory: Int = 0) throws {
        self.directory = directory
        self.limit = limit
        self.inMemory = inMemory
        for kind in Kind.allCases {
            do {
                try FileManager.default.createDirectory(atPath: folder(kind), withIntermediateDirectories: true)
            } catch {
                throw InputError(file: directory, "cannot create the cache folder (--cache DIR to use another, --no-cache for none)")
            }
        }
    }

    /// Problems met so far (corrupt entries, failed writes), each once.
    public var warnings: [Warning] { lock.withLock { problems } }

    func folder(_ kind: Kind) -> String {
        (directory as NSString).appendingPathComponent("\(Self.format)/\(kind.rawValue)")
    }

    func path(_ kind: Kind, _ key: String) -> String {
        (folder(kind) as NSString).appendingPathComponent(key)
    }

    /// The value stored under `key`, or nil. A corrupt entry is removed, with a warning.
    func load<T: Decodable & Sendable>(_ type: T.Type, _ kind: Kind, key: String) -> T? {
        if let kept = lock.withLock({ memory[kind.rawValue + key] }) as? T { return kept }
        let file = path(kind, key)
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        guard let payload = Self.payload(of: data) else {
            discard(file, "is truncated or corrupt (its checksum does not match); ignored and recomputed")
            return nil
        }
        do {
            let value = try Self.decoder.decode(T.self, from: payload)
            // Recently used: kept longest when the cache is pruned.
            try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: file)
            keep(value, kind, key)
            return value
        } catch {
            discard(file, "cannot be decoded (\(error)); ignored and recomputed")
            return nil
        }
    }

    /// Stores `value` under `key`, atomically. A failure is a warning: the build goes on.
    func store<T: Encodable & Sendable>(_ value: T, _ kind: Kind, key: String) {
        keep(value, kind, key)
        let file = path(kind, key)
        let temporary = (folder(kind) as NSString).appendingPathComponent(".\(key).\(getpid()).\(UUID().uuidString).tmp")
        do {
            let payload = try Self.encoder.encode(value)
            var data = Data("\(Self.header) \(Digest.hex(payload)) \(payload.count)\n".utf8)
            data.append(payload)
            try data.write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, file) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            note(Warning(file: file, "cannot be written to the cache (\(error.localizedDescription)); the build goes on without it"))
        }
    }

    /// The payload of an entry whose header and checksum are right.
    static func payload(of data: Data) -> Data? {
        guard let newline = data.firstIndex(of: UInt8(ascii: "\n")),
              case let fields = String(decoding: data[data.startIndex..<newline], as: UTF8.self).split(separator: " "),
              fields.count == 3, fields[0] == header, let count = Int(fields[2]) else { return nil }
        let payload = Data(data[(newline + 1)...])
        guard payload.count == count, Digest.hex(payload) == fields[1] else { return nil }
        return payload
    }

    /// Removes entries, least recently used first, until the cache holds at most `limit` bytes.
    /// Returns how many it removed.
    @discardableResult
    public func prune() -> Int {
        let fm = FileManager.default
        var entries = [(path: String, size: Int, used: Date)]()
        for kind in Kind.allCases {
            for name in (try? fm.contentsOfDirectory(atPath: folder(kind))) ?? [] where !name.hasPrefix(".") {
                let file = path(kind, name)
                guard let a = try? fm.attributesOfItem(atPath: file) else { continue }
                entries.append((file, (a[.size] as? Int) ?? 0, (a[.modificationDate] as? Date) ?? .distantPast))
            }
        }
        var total = entries.reduce(0) { $0 + $1.size }
        var removed = 0
        for entry in entries.sorted(by: { $0.used < $1.used }) where total > limit {
            if (try? fm.removeItem(atPath: entry.path)) != nil { total -= entry.size; removed += 1 }
        }
        return removed
    }

    /// Keeps a value in memory, dropping the oldest kept beyond `inMemory`.
    private func keep(_ value: any Sendable, _ kind: Kind, _ key: String) {
        guard inMemory > 0 else { return }
        lock.withLock {
            let id = kind.rawValue + key
            if memory.updateValue(value, forKey: id) == nil { memoryOrder.append(id) }
            while memoryOrder.count > inMemory { memory.removeValue(forKey: memoryOrder.removeFirst()) }
        }
    }

    private func discard(_ file: String, _ message: String) {
        try? FileManager.default.removeItem(atPath: file)
        note(Warning(file: file, "cache entry " + message))
    }

    private func note(_ warning: Warning) {
        lock.withLock { if !problems.contains(warning) { problems.append(warning) } }
    }

    // Doubles are written as their shortest round-tripping decimal, so a value reads back with
    // every bit it had; NaN and the infinities as strings.
    private static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "+inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    private static var decoder: JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "+inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }
}
