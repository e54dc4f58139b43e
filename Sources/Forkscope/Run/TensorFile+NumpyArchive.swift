import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading a NumPy `.npz` archive (`numpy.savez` or `numpy.savez_compressed`): a ZIP archive
/// holding one `.npy` array per name, as member `NAME.npy`.
extension TensorFile {
    /// - Parameter limits: the arrays wanted, by name, each with the most data bytes it may
    ///   hold. Other members are never read, so an archive cannot make Forkscope inflate more
    ///   than the run's own shapes allow, however it is built.
    ///
    /// Stored (uncompressed) arrays are read in place, like a safetensors file; when any wanted
    /// array is deflated, the wanted arrays are inflated once into an unlinked scratch file in
    /// the temporary folder, which then serves their reads.
    public init(npz path: String, displayName: String, limits: [String: Int]) throws {
        let archive = try ZipArchive(file: MappedFile(path: path), displayName: displayName)
        let wanted: [(member: ZipArchive.Member, name: String, limit: Int)] = archive.members.compactMap { member in
            guard member.name.hasSuffix(".npy"), let limit = limits[String(member.name.dropLast(4))] else { return nil }
            // The array's data, its header and at most a few bytes of padding numpy adds.
            let (bound, overflow) = limit.addingReportingOverflow(NumpyHeader.maximumLength)
            return (member, String(member.name.dropLast(4)), overflow ? Int.max : bound)
        }
        var file = archive.file
        var starts = [Int]()
        if wanted.allSatisfy({ $0.member.method == .stored }) {
            for (member, _, limit) in wanted {
                guard member.size <= limit else {
                    throw InputError(file: displayName, field: "member \"\(member.name)\"", "holds \(member.size) bytes, more than the \(limit) it can hold here")
                }
                starts.append(member.dataOffset)
            }
        } else {
            let scratch = try ScratchFile(for: displayName)
            for (member, _, limit) in wanted {
                starts.append(scratch.size)
                try archive.extract(member, limit: limit) { try scratch.append($0) }
            }
            file = try scratch.map()
        }
        var tensors = [String: Tensor]()
        for ((member, name, _), start) in zip(wanted, starts) {
            let field = "array \"\(name)\""
            let bytes = UnsafeRawBufferPointer(rebasing: file.bytes[start..<(start + member.size)])
            let header = try NumpyHeader.parse(UnsafeRawBufferPointer(rebasing: bytes.prefix(NumpyHeader.maximumLength)),
                                               file: displayName, fieldPrefix: field)
            let dataSize = member.size - header.dataOffset
            guard TensorFile.byteCount(shape: header.shape, dtype: header.dtype) == dataSize else {
                throw InputError(file: displayName, field: field + ".shape",
                                 "\(header.shape) in \(header.dtype.rawValue) does not match its \(dataSize) bytes of data")
            }
            tensors[name] = Tensor(name: name, dtype: header.dtype, shape: header.shape,
                                   byteRange: (start + header.dataOffset)..<(start + member.size))
        }
        self.init(file: file, displayName: displayName, tensors: tensors)
    }

    /// Whether the file at `path` starts as a ZIP archive does (a local header, or the end record
    /// of an empty archive), rather than as a safetensors file.
    static func isZipArchive(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let magic = (try? handle.read(upToCount: 4)) ?? Data()
        return magic == Data([0x50, 0x4b, 3, 4]) || magic == Data([0x50, 0x4b, 5, 6])
    }
}

/// A file in the temporary folder that has no name from the start (it is unlinked as soon as it
/// is made), so nothing is left behind however the process ends.
private final class ScratchFile {
    private var descriptor: Int32
    private let displayName: String
    private(set) var size = 0

    init(for displayName: String) throws {
        self.displayName = displayName
        var template = Array((FileManager.default.temporaryDirectory.path + "/forkscope-npz-XXXXXX").utf8CString)
        descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw Self.failure(displayName, "cannot make a scratch file") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = write(descriptor, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Self.failure(displayName, "cannot write the scratch file") }
            done += n
        }
        size += bytes.count
    }

    /// The file, mapped for reading; the descriptor passes to the map.
    func map() throws -> MappedFile {
        let fd = descriptor
        descriptor = -1
        return try MappedFile(descriptor: fd, path: displayName)
    }

    private static func failure(_ file: String, _ what: String) -> InputError {
        InputError(file: file, "\(what) in \(FileManager.default.temporaryDirectory.path) to inflate into: \(String(cString: strerror(errno)))")
    }

    deinit { if descriptor >= 0 { close(descriptor) } }
}
