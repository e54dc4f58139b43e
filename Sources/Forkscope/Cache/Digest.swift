import CCrypto
import Foundation

/// SHA-256 (FIPS 180-4) through OpenSSL's EVP interface, which uses the CPU's SHA extensions where
/// it has them: the cache's keys and its entries' checksums.
public final class Digest {
    private let context: OpaquePointer

    public init() {
        context = EVP_MD_CTX_new()
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        if let base = bytes.baseAddress, bytes.count > 0 { EVP_DigestUpdate(context, base, bytes.count) }
    }

    public func update(_ data: Data) { data.withUnsafeBytes { update($0) } }

    public func update(_ text: String) { update(Data(text.utf8)) }

    /// A field of a composite key: its length first, so that ("ab", "c") and ("a", "bc") differ.
    public func field(_ text: String) {
        update("\(text.utf8.count):")
        update(text)
    }

    /// The digest in lower-case hex. The context is spent.
    public func hex() -> String {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &out, &length)
        return out.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }

    /// The digest of some bytes.
    public static func hex(_ data: Data) -> String {
        let d = Digest()
        d.update(data)
        return d.hex()
    }

    /// The digest of a composite key's fields.
    public static func hex(fields: [String]) -> String {
        let d = Digest()
        for f in fields { d.field(f) }
        return d.hex()
    }

    /// Adds a file's bytes, read in 1 MiB blocks; nil if it cannot be read.
    public func update(file path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        while true {
            let block: Data?
            do { block = try handle.read(upToCount: 1 << 20) } catch { return false }
            guard let block, !block.isEmpty else { return true }
            update(block)
        }
    }
}
