/// Socket-activation variables that cannot be understood, or descriptors they announce that are not usable.
public enum SocketActivationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// `LISTEN_PID` is not a positive number.
    case invalidProcessID(variable: String, value: String)
    /// `LISTEN_FDS` (or `PAASTECH_LISTEN_FDS`) is not a number of descriptors.
    case invalidDescriptorCount(variable: String, value: String)
    /// `LISTEN_FDNAMES` names more sockets than `LISTEN_FDS` announces.
    case tooManyNames(variable: String, names: Int, descriptors: Int)
    /// An announced descriptor is not open in this process.
    case descriptorNotOpen(fd: Int32, countVariable: String, errno: Int32)

    public var description: String {
        switch self {
        case .invalidProcessID(let variable, let value):
            return "socket activation: \(variable)=\(value.debugDescription) is not a process id; "
                + "the parent that started this process set it wrongly"
        case .invalidDescriptorCount(let variable, let value):
            return "socket activation: \(variable)=\(value.debugDescription) is not a number of file descriptors; "
                + "the parent that started this process set it wrongly"
        case .tooManyNames(let variable, let names, let descriptors):
            return "socket activation: \(variable) has \(names) names for \(descriptors) file descriptors; "
                + "check FileDescriptorName= in the socket units"
        case .descriptorNotOpen(let fd, let countVariable, let errno):
            return "socket activation: fd \(fd), announced by \(countVariable), is not open (errno \(errno)); "
                + "the parent must place the sockets at fds 3, 4, ... without close-on-exec"
        }
    }
}
