import Foundation

/// The run's bytes as a build reads them.
public enum RunDigest {
    /// SHA-256 over each of the reader's files (run.json, the tensors in use): its name within
    /// the run folder, its length and its bytes.
    public static func of(_ reader: RunReader) throws -> String {
        let d = Digest()
        for file in reader.files {
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? nil
            d.field((file as NSString).lastPathComponent)
            d.field(String(size ?? -1))
            guard d.update(file: file) else { throw InputError(file: file, "cannot be read") }
        }
        return d.hex()
    }
}
