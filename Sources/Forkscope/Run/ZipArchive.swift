import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The members of a ZIP archive, as NumPy's `.npz` files are (PKWARE's APPNOTE.TXT 6.3: the end
/// of central directory record, its ZIP64 form, the central directory, local headers), stored or
/// deflated.
///
/// Archives are untrusted input, and the classic zip bombs are refused, not survived:
/// - every size and offset is checked against the file before anything is read;
/// - members may not overlap (the overlapping-files bomb: D. Fifield, "A better zip bomb",
///   WOOT 2019), nor share a name;
/// - a member is inflated only up to a limit the caller sets from what it expects to find, and
///   only up to the size it declares: a stream that inflates past either is stopped there, so
///   neither a lying header nor a high ratio can make it write more than the caller allows.
struct ZipArchive {
    struct Member: Equatable {
        enum Method: Equatable { case stored, deflated }
        let name: String
        let method: Method
        let crc32: UInt32
        let compressedSize: Int
        /// The size it declares when inflated.
        let size: Int
        let localHeaderOffset: Int
        /// Where its (compressed) bytes start in the file.
        let dataOffset: Int
    }

    let file: MappedFile
    let displayName: String
    /// In central-directory order.
    let members: [Member]

    init(file: MappedFile, displayName: String) throws {
        self.file = file
        self.displayName = displayName
        let bytes = file.bytes
        func fail(_ field: String?, _ message: String) -> InputError {
            InputError(file: displayName, field: field, message)
        }
        func u16(_ at: Int) -> Int { Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self))) }
        func u32(_ at: Int) -> Int { Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self))) }
        func u64(_ at: Int) -> Int? {
            let v = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
            return v <= UInt64(Int.max) ? Int(v) : nil
        }

        // The end of central directory record: the last 22 bytes, or followed by a comment.
        let eocd = Self.endRecordOffset(bytes)
        guard let eocd else { throw fail(nil, "not a ZIP archive (no end of central directory record)") }
        var count = u16(eocd + 10)
        var directorySize = u32(eocd + 12)
        var directoryOffset = u32(eocd + 16)
        guard u16(eocd + 4) == 0, u16(eocd + 6) == 0, u16(eocd + 8) == count else {
            throw fail("end of central directory", "spans several disks, which is not read")
        }
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // ZIP64: a locator just before the record points at the ZIP64 record.
            guard eocd >= 20, u32(eocd - 20) == 0x0706_4b50, let at = u64(eocd - 12), at <= eocd - 20 - 56,
                  u32(at) == 0x0606_4b50, let n = u64(at + 32), let size = u64(at + 40), let offset = u64(at + 48) else {
                throw fail("zip64 end of central directory", "missing or out of range")
            }
            (count, directorySize, directoryOffset) = (n, size, offset)
        }
        guard directoryOffset <= eocd, directorySize <= eocd - directoryOffset, count <= directorySize / 46 else {
            throw fail("central directory", "\(count) entries in \(directorySize) bytes at \(directoryOffset) do not fit the \(bytes.count)-byte file")
        }

        var members = [Member]()
        var names = Set<String>()
        var at = directoryOffset
        let end = directoryOffset + directorySize
        for index in 0..<count {
            guard at + 46 <= end, u32(at) == 0x0201_4b50 else { throw fail("central directory entry \(index)", "missing or truncated") }
            let (nameLength, extraLength, commentLength) = (u16(at + 28), u16(at + 30), u16(at + 32))
            guard at + 46 + nameLength + extraLength + commentLength <= end else {
                throw fail("central directory entry \(index)", "runs past the central directory")
            }
            let name = String(decoding: bytes[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            let field = "member \"\(name)\""
            let flags = u16(at + 8)
            guard flags & 1 == 0 else { throw fail(field, "is encrypted") }
            let method: Member.Method
            switch u16(at + 10) {
            case 0: method = .stored
            case 8: method = .deflated
            case let m: throw fail(field, "compression method \(m) is not read (stored or deflated)")
            }
            var compressed = u32(at + 20), size = u32(at + 24), local = u32(at + 42)
            // ZIP64 extended information: the 64-bit values of the fields that read all ones.
            var extra = at + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let (id, length) = (u16(extra), u16(extra + 2))
                guard extra + 4 + length <= extraEnd else { throw fail(field, "extra field runs past its entry") }
                if id == 0x0001 {
                    var value = extra + 4
                    for slot in [0, 1, 2] {   // in this order, each only when its 32-bit field is full
                        let narrow = slot == 0 ? size : slot == 1 ? compressed : local
                        guard narrow == 0xFFFF_FFFF else { continue }
                        guard value + 8 <= extra + 4 + length, let v = u64(value) else { throw fail(field, "ZIP64 sizes missing or out of range") }
                        if slot == 0 { size = v } else if slot == 1 { compressed = v } else { local = v }
                        value += 8
                    }
                }
                extra += 4 + length
            }
            guard local <= bytes.count - 30, u32(local) == 0x0403_4b50 else { throw fail(field, "local header missing at \(local)") }
            let localName = local + 30
            guard u16(local + 26) == nameLength, localName + nameLength <= bytes.count,
                  bytes[localName..<(localName + nameLength)].elementsEqual(bytes[(at + 46)..<(at + 46 + nameLength)]) else {
                throw fail(field, "local header names another member")
            }
            let dataOffset = localName + nameLength + u16(local + 28)
            guard dataOffset <= bytes.count, compressed <= bytes.count - dataOffset else {
                throw fail(field, "\(compressed) bytes at \(dataOffset) run past the end of the file")
            }
            guard method == .deflated || compressed == size else {
                throw fail(field, "stored, but \(compressed) bytes declare \(size)")
            }
            guard names.insert(name).inserted else { throw fail(field, "appears twice") }
            members.append(Member(name: name, method: method, crc32: UInt32(u32(at + 16)), compressedSize: compressed,
                                  size: size, localHeaderOffset: local, dataOffset: dataOffset))
            at += 46 + nameLength + extraLength + commentLength
        }
        // No two members share bytes: each one's header and data end before the next begins.
        let ordered = members.sorted { $0.localHeaderOffset < $1.localHeaderOffset }
        for (a, b) in zip(ordered, ordered.dropFirst()) where a.dataOffset + a.compressedSize > b.localHeaderOffset {
            throw fail("member \"\(b.name)\"", "overlaps member \"\(a.name)\"")
        }
        if let last = ordered.last, last.dataOffset + last.compressedSize > directoryOffset {
            throw fail("member \"\(last.name)\"", "overlaps the central directory")
        }
        self.members = members
    }

    /// The offset of the end of central directory record: the last place its signature stands
    /// with a comment length that reaches exactly to the end of the file.
    private static func endRecordOffset(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= 22 else { return nil }
        let lowest = max(0, bytes.count - 22 - 0xFFFF)
        for at in stride(from: bytes.count - 22, through: lowest, by: -1)
        where bytes[at] == 0x50 && bytes[at + 1] == 0x4b && bytes[at + 2] == 5 && bytes[at + 3] == 6 {
            let comment = Int(bytes[at + 20]) | Int(bytes[at + 21]) << 8
            if at + 22 + comment == bytes.count { return at }
        }
        return nil
    }

    /// Hands `member`'s inflated bytes to `sink`, in pieces of at most 256 KiB, checking its CRC-32.
    /// Fails, naming the member, when it declares more than `limit` bytes (before anything is
    /// inflated), or inflates to more or less than it declares.
    func extract(_ member: Member, limit: Int, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        func fail(_ message: String) -> InputError {
            InputError(file: displayName, field: "member \"\(member.name)\"", message)
        }
        guard member.size <= limit else {
            throw fail("declares \(member.size) bytes, more than the \(limit) it can hold here")
        }
        let input = UnsafeRawBufferPointer(rebasing: file.bytes[member.dataOffset..<(member.dataOffset + member.compressedSize)])
        var crc = crc32(0, nil, 0)
        var produced = 0
        func emit(_ piece: UnsafeRawBufferPointer) throws {
            guard !piece.isEmpty else { return }
            produced += piece.count
            guard produced <= member.size else { throw fail("inflates to more than the \(member.size) bytes it declares") }
            crc = piece.withMemoryRebound(to: Bytef.self) { crc32(crc, $0.baseAddress, uInt($0.count)) }
            try sink(piece)
        }
        switch member.method {
        case .stored:
            var done = 0
            while done < input.count {
                let n = min(1 << 18, input.count - done)
                try emit(UnsafeRawBufferPointer(rebasing: input[done..<(done + n)]))
                done += n
            }
        case .deflated:
            try Self.inflate(input, fail: fail, emit: emit)
        }
        guard produced == member.size else { throw fail("inflates to \(produced) bytes, not the \(member.size) it declares") }
        guard crc == uLong(member.crc32) else { throw fail("CRC-32 mismatch: the data is damaged") }
    }

    /// Raw DEFLATE (RFC 1951) through zlib, 256 KiB of output at a time.
    private static func inflate(_ input: UnsafeRawBufferPointer, fail: (String) -> InputError,
                                emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw fail("zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        let chunk = 1 << 18
        let output = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 64)
        defer { output.deallocate() }
        var consumed = 0
        var status = Z_OK
        repeat {
            if stream.avail_in == 0 && consumed < input.count {
                let n = min(1 << 30, input.count - consumed)
                stream.next_in = UnsafeMutablePointer(mutating: (input.baseAddress! + consumed).assumingMemoryBound(to: Bytef.self))
                stream.avail_in = uInt(n)
                consumed += n
            }
            stream.next_out = output.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(chunk)
            status = CZlib.inflate(&stream, Z_NO_FLUSH)
            guard status == Z_OK || status == Z_STREAM_END else {
                // No progress with all input given: the stream stops before its end block.
                if status == Z_BUF_ERROR { throw fail("the deflated data ends early") }
                throw fail("not valid deflated data (zlib: \(stream.msg.map { String(cString: $0) } ?? "error \(status)"))")
            }
            try emit(UnsafeRawBufferPointer(start: output, count: chunk - Int(stream.avail_out)))
        } while status != Z_STREAM_END
    }
}
