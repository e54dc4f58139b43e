import Foundation

/// Runs `body` over `chunks` fixed pieces of work on `threads` threads. Chunks, not threads,
/// define the work: callers write each chunk's result to its own place, so the result is the
/// same for every thread count.
public enum ParallelChunks {
    public static func run(chunks: Int, threads: Int, _ body: (Int) -> Void) {
        let workers = max(1, min(threads, chunks))
        if workers == 1 {
            for c in 0..<chunks { body(c) }
            return
        }
        // Each thread takes the next chunk when it is free (chunks differ in cost: a fixed
        // stride would leave one thread working alone at the end). The chunks write to disjoint
        // places, which the compiler cannot see.
        let next = ChunkCounter()
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while let c = next.take(below: chunks) { body(c) }
            }
        }
    }

    /// `body` of every chunk, in chunk order, computed on `threads` threads: the one place where
    /// results are written from several threads (each to its own slot).
    public static func map<T>(chunks: Int, threads: Int, _ body: (Int) -> T) -> [T] {
        var results = [T?](repeating: nil, count: chunks)
        results.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            run(chunks: chunks, threads: threads) { out[$0] = body($0) }
        }
        return results.map { $0! }
    }

    /// `map`, for work that may throw: every chunk runs, and the first error in chunk order is thrown.
    public static func map<T>(chunks: Int, threads: Int, _ body: (Int) throws -> T) throws -> [T] {
        try map(chunks: chunks, threads: threads) { c in Result { try body(c) } }.map { try $0.get() }
    }

    /// Splits 0..<count into pieces of at most `size`.
    public static func ranges(_ count: Int, size: Int) -> [Range<Int>] {
        stride(from: 0, to: count, by: max(1, size)).map { $0..<min($0 + max(1, size), count) }
    }
}

/// The next chunk to run, handed out under a lock.
private final class ChunkCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0

    func take(below count: Int) -> Int? {
        lock.withLock {
            guard next < count else { return nil }
            defer { next += 1 }
            return next
        }
    }
}
