import CSeccomp
import Seccomp

/// Runs a compiled seccomp program on a made-up system call, like the kernel does, so tests can
/// check every rule of the policy without making the calls.
struct SeccompFilterEvaluator {
    /// What the filter answered.
    enum Verdict: Equatable, CustomStringConvertible {
        case allow
        case errno(Int32)
        case other(UInt32)

        var description: String {
            switch self {
            case .allow: "allow"
            case let .errno(value): "errno \(value)"
            case let .other(value): "action 0x\(String(value, radix: 16))"
            }
        }
    }

    struct InvalidProgram: Error, CustomStringConvertible {
        let description: String

        static func unsupported(_ code: UInt16, at index: Int) -> InvalidProgram {
            InvalidProgram(description: "BPF instruction \(index) has an unsupported code 0x\(String(code, radix: 16))")
        }
    }

    static let x86_64: UInt32 = 0xC000_003E  // AUDIT_ARCH_X86_64
    static let i386: UInt32 = 0x4000_0003  // AUDIT_ARCH_I386

    private let instructions: [sock_filter]

    init(_ program: SeccompProgram) {
        let size = MemoryLayout<sock_filter>.size
        instructions = stride(from: 0, to: program.filter.count, by: size).map { offset in
            program.filter.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: sock_filter.self) }
        }
    }

    /// The filter's answer for system call `number` with `arguments` (missing ones are 0).
    func evaluate(_ number: Int32, arguments: [UInt64] = [], architecture: UInt32 = x86_64) throws -> Verdict {
        // struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6];
        var data = [UInt32](repeating: 0, count: 16)
        data[0] = UInt32(bitPattern: number)
        data[1] = architecture
        for (index, argument) in arguments.enumerated() {
            data[4 + 2 * index] = UInt32(truncatingIfNeeded: argument)  // little-endian: low word first
            data[5 + 2 * index] = UInt32(truncatingIfNeeded: argument >> 32)
        }
        let result = try run(on: data)
        switch result & 0xFFFF_0000 {
        case 0x7FFF_0000: return .allow
        case 0x0005_0000: return .errno(Int32(result & 0xFFFF))
        default: return .other(result)
        }
    }

    private func run(on data: [UInt32]) throws -> UInt32 {
        var accumulator: UInt32 = 0
        var index: UInt32 = 0
        var scratch = [UInt32](repeating: 0, count: 16)
        var pc = 0
        while pc < instructions.count {
            let instruction = instructions[pc]
            let code = instruction.code, k = instruction.k
            pc += 1
            let operand = code & 0x08 == 0 ? k : index
            switch code & 0x07 {
            case 0x00:  // BPF_LD
                switch code & 0xE0 {
                case 0x00: accumulator = k  // BPF_IMM
                case 0x20: accumulator = data[Int(k) / 4]  // BPF_ABS (word-aligned in seccomp)
                case 0x60: accumulator = scratch[Int(k)]  // BPF_MEM
                default: throw InvalidProgram.unsupported(code, at: pc - 1)
                }
            case 0x01:  // BPF_LDX
                index = code & 0xE0 == 0x60 ? scratch[Int(k)] : k
            case 0x02: scratch[Int(k)] = accumulator  // BPF_ST
            case 0x03: scratch[Int(k)] = index  // BPF_STX
            case 0x04:  // BPF_ALU
                switch code & 0xF0 {
                case 0x00: accumulator &+= operand
                case 0x10: accumulator &-= operand
                case 0x40: accumulator |= operand
                case 0x50: accumulator &= operand
                case 0x60: accumulator <<= operand
                case 0x70: accumulator >>= operand
                case 0xA0: accumulator ^= operand
                default: throw InvalidProgram.unsupported(code, at: pc - 1)
                }
            case 0x05:  // BPF_JMP
                let taken: Bool
                switch code & 0xF0 {
                case 0x00: pc += Int(k); continue  // BPF_JA
                case 0x10: taken = accumulator == operand
                case 0x20: taken = accumulator > operand
                case 0x30: taken = accumulator >= operand
                case 0x40: taken = accumulator & operand != 0
                default: throw InvalidProgram.unsupported(code, at: pc - 1)
                }
                pc += Int(taken ? instruction.jt : instruction.jf)
            case 0x06:  // BPF_RET
                return code & 0x18 == 0x10 ? accumulator : k
            case 0x07:  // BPF_MISC: TAX / TXA
                if code & 0xF8 == 0x80 { accumulator = index } else { index = accumulator }
            default:
                throw InvalidProgram.unsupported(code, at: pc - 1)
            }
        }
        throw InvalidProgram(description: "the program ends without a return instruction")
    }
}
