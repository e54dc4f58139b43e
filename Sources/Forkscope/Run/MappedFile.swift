#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only file, memory-mapped for headers and small reads, with `read(into:count:at:)` for
/// bulk data: a layer's tensor bytes go through a small buffer by `pread`, so they never become
/// resident pages of this process (whose page faults would also contend with the other worker
/// threads' memory mapping).
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let bytes: UnsafeRawBufferPointer
    private let descriptor: Int32

    public convenience init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw InputError(file: path, "cannot open: \(String(cString: strerror(errno)))")
        }
        try self.init(descriptor: fd, path: path)
    }

    /// Takes over an open descriptor (closed here, also when this throws): how a file with no
    /// name, such as an unlinked scratch file, is mapped. `path` names it in messages.
    init(descriptor fd: Int32, path: String) throws {
        self.path = path
        descriptor = fd
        var kept = false   // the descriptor stays open (for `read`) once the file is set up
        defer { if !kept { close(fd) } }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw InputError(file: path, "cannot stat: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw InputError(file: path, "not a regular file")
        }
        let size = Int(info.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            kept = true
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw InputError(file: path, "cannot map into memory: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
        kept = true
    }

    /// Copies `count` bytes from file offset `offset` into `buffer`.
    public func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int) throws {
        var done = 0
        while done < count {
            let got = pread(descriptor, buffer + done, count - done, off_t(offset + done))
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else {
                let reason = got == 0 ? "unexpected end of file" : String(cString: strerror(errno))
                throw InputError(file: path, "cannot read \(count) bytes at offset \(offset): \(reason)")
            }
            done += got
        }
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
        close(descriptor)
    }
}
