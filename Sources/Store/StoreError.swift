/// A domain-level failure the API turns into a 4xx answer. Database failures stay `PostgresError`s.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// The object does not exist, or belongs to someone else (the two are indistinguishable on purpose).
    case notFound(String)
    /// A unique field is taken: `field` names it for the client.
    case conflict(field: String, message: String)
    /// A value breaks a rule of the data model.
    case invalid(field: String, message: String)

    public var description: String {
        switch self {
        case .notFound(let what): "\(what) not found"
        case .conflict(_, let message), .invalid(_, let message): message
        }
    }
}
