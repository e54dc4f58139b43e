import ArgumentParser
import Forkscope

/// `--against first | previous`.
extension SeriesDiff.Baseline: ExpressibleByArgument {}
