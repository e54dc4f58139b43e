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
        // The chunks write to disjoint places, which the compiler cannot see.
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                var c = w
                while c < chunks { body(c); c += workers }
            }
        }
    }

    /// Splits 0..<count into pieces of at most `size`.
    public static func ranges(_ count: Int, size: Int) -> [Range<Int>] {
        stride(from: 0, to: count, by: max(1, size)).map { $0..<min($0 + max(1, size), count) }
    }
}
