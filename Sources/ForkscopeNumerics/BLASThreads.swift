import CLapack

/// OpenBLAS's own thread pool. A build runs layers on several threads at once, each calling BLAS
/// single-threaded: small per-layer products parallelise better across layers than inside one,
/// where the pool's start-up and spinning cost more than the work.
public enum BLASThreads {
    public static func set(_ count: Int) { openblas_set_num_threads(Int32(count)) }
}
