import Foundation
import Testing
import ForkscopeTestSupport
@testable import Forkscope

/// Sources/Forkscope/Run/NumpyArray.swift: a written array reads back, and the inputs the fuzzer
/// found or that were found by reading the code after it (Fuzz/regressions/npy) are refused with
/// an `InputError` naming the file, not a crash.
struct NumpyArrayTests {
    static var regressions: URL { Fixtures.packageRoot.appendingPathComponent("Fuzz/regressions/npy") }

    @Test func aWrittenArrayReadsBack() throws {
        try TemporaryFolder.with { dir in
            let url = dir.appendingPathComponent("a.npy")
            try NumpyArray.write(rows: 2, cols: 3, values: [1, 2, 3, 4, 5, -6.5], to: url)
            let read = try NumpyArray.read(url)
            #expect(read.rows == 2 && read.cols == 3 && read.values == [1, 2, 3, 4, 5, -6.5])
        }
    }

    @Test func everyRegressionIsRefusedInOneLine() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.regressions.path).filter { !$0.hasPrefix(".") }.sorted()
        #expect(files.count >= 4)   // the fuzzer's find (an 11-byte version-2 header) and three made by hand
        for name in files {
            let url = Self.regressions.appendingPathComponent(name)
            let error = #expect(throws: InputError.self, "\(name)") { try NumpyArray.read(url) }
            #expect(error?.description.hasPrefix(url.path) == true && error?.description.contains("\n") == false, "\(name)")
        }
    }
}
