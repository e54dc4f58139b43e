/// The element types a run may store its states in.
public enum TensorDType: String, Sendable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"

    var byteWidth: Int {
        switch self {
        case .f64: 8
        case .f32: 4
        case .f16, .bf16: 2
        }
    }
}
