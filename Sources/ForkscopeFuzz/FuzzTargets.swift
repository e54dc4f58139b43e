import Foundation
import Forkscope

/// Fuzz targets for the readers of untrusted files: each takes any bytes, and must either read
/// them or refuse them with an `InputError`, never crash, hang or allocate without bound.
///
/// Built with `-sanitize=fuzzer,address -DFUZZING` (`make fuzz`), the binary is a libFuzzer
/// target for the one named by `FORKSCOPE_FUZZ_TARGET`. Built normally, it replays files:
/// `forkscope-fuzz TARGET FILE_OR_FOLDER...`, which `make test` runs over the committed seed
/// corpus and every crash ever found (Fuzz/corpus/TARGET/, Fuzz/regressions/TARGET/).
enum FuzzTarget: String, CaseIterable {
    /// A safetensors file: header checks, then every tensor's first elements converted.
    case safetensors
    /// A run.json beside a small valid tensor file: the manifest's checks, then a layer read.
    case run
    /// A NumPy .npy file (`forkscope umap`'s input).
    case npy
    /// A NumPy .npz archive (a run's states): the ZIP reader, inflation within limits, then
    /// every wanted array's first elements converted.
    case npz

    /// A folder of this process's own for the files a target reads.
    static let scratch: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("forkscope-fuzz-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// The tensors the `run` target's manifests point at: one branch "r" of 4 tokens, 2 layers,
    /// hidden size 2, F32.
    static let runTensors: Data = {
        let header = Data(#"{"r":{"dtype":"F32","shape":[2,4,2],"data_offsets":[0,64]}}    "#.utf8)
        var file = Data()
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(header)
        for i in 0..<16 { withUnsafeBytes(of: Float(i).bitPattern.littleEndian) { file.append(contentsOf: $0) } }
        return file
    }()

    /// Converts the first elements of every tensor of `file`.
    static func convertSome(_ file: TensorFile) throws {
        var out = [Double](repeating: 0, count: 4_096)
        for tensor in file.tensors.values.sorted(by: { $0.name < $1.name }) {
            let count = min(out.count, tensor.shape.reduce(1, *))
            _ = try out.withUnsafeMutableBufferPointer { buffer in
                try file.convert(tensor, elements: 0..<count, into: UnsafeMutableBufferPointer(rebasing: buffer[0..<count]))
            }
        }
    }

    func run(_ data: Data) {
        let dir = Self.scratch
        do {
            switch self {
            case .safetensors:
                let path = dir.appendingPathComponent("input.safetensors")
                try data.write(to: path)
                try Self.convertSome(TensorFile(safetensors: path.path, displayName: "input"))
            case .run:
                try data.write(to: dir.appendingPathComponent("run.json"))
                try Self.runTensors.write(to: dir.appendingPathComponent("activations.safetensors"))
                let reader = try RunReader(directory: dir.path)
                if !reader.run.layers.isEmpty { _ = try reader.states(slice: 0) }
            case .npy:
                let path = dir.appendingPathComponent("input.npy")
                try data.write(to: path)
                _ = try NumpyArray.read(path)
            case .npz:
                let path = dir.appendingPathComponent("input.npz")
                try data.write(to: path)
                // The arrays the seed corpus holds, each allowed 1 MiB.
                try Self.convertSome(TensorFile(npz: path.path, displayName: "input", limits: ["a": 1 << 20, "b": 1 << 20, "r1": 1 << 20]))
            }
        } catch is InputError {
            // Refused with a message: what any bad input must get.
        } catch {
            // Only the readers' own refusals are expected; anything else is a finding.
            fatalError("\(self.rawValue): unexpected error \(error)")
        }
    }
}

#if FUZZING
typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

/// libFuzzer's driver for programs with their own entry point (libclang_rt.fuzzer_no_main, which
/// `make fuzz` links): `int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*)(const uint8_t *, size_t))`.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: FuzzCallback) -> CInt

/// The package manager links an executable's entry point as `<Module>_main`; here it hands the
/// command line to libFuzzer.
@_cdecl("ForkscopeFuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    _ = target
    var count = argc, arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { bytes, size in
        target.run(bytes.map { Data(bytes: $0, count: size) } ?? Data())
        return 0
    }
}

private let target: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["FORKSCOPE_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        fatalError("set FORKSCOPE_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return target
}()
#else
/// Replays inputs through a target, one file at a time, and says how many it ran.
@main
struct Replay {
    static func main() throws {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            print("usage: forkscope-fuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) FILE_OR_FOLDER...")
            exit(2)
        }
        var count = 0
        for path in arguments.dropFirst() {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { continue }
            let files = isDir.boolValue
                ? try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { (path as NSString).appendingPathComponent($0) }
                : [path]
            for file in files {
                target.run(try Data(contentsOf: URL(fileURLWithPath: file)))
                count += 1
            }
        }
        try? FileManager.default.removeItem(at: FuzzTarget.scratch)
        print("\(name): \(count) inputs replayed, none crashed")
    }
}
#endif
