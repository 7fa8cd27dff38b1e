/// A test precondition that did not hold.
struct CertificateTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
