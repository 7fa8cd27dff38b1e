/// A message to send, with the words that name it in an error and hints for the errnos it may get.
struct NetlinkRequest {
    var message: NetlinkMessageBuilder
    /// E.g. `RTM_NEWADDR: add 10.88.0.2/16 to eth0`.
    let description: String
    /// Advice for particular errnos, checked before ``NetlinkError/generalHint(_:)``.
    var hints: [Int32: String] = [:]

    init(_ message: NetlinkMessageBuilder, _ description: String, hints: [Int32: String] = [:]) {
        self.message = message
        self.description = description
        self.hints = hints
    }

    /// The error for this request failing with `errno`.
    /// - Parameter problem: What went wrong on our side (a malformed answer), in place of a hint.
    func error(errno: Int32, kernelMessage: String? = nil, problem: String? = nil) -> NetlinkError {
        NetlinkError(request: description, errno: errno, kernelMessage: kernelMessage,
                     hint: problem ?? hints[errno] ?? NetlinkError.generalHint(errno))
    }
}
