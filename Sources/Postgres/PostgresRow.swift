/// One row of a query result, its values kept in PostgreSQL's text format until decoded.
public struct PostgresRow: Sendable {
    let columns: PostgresColumns
    let values: [String?]

    /// The result's column names, in order.
    public var columnNames: [String] { columns.names }

    /// Decodes the column named `column` (the first one, if several share the name).
    ///
    /// Decode as an Optional (`String?.self`) to accept NULL; NULL in a non-optional decode throws a
    /// ``PostgresError`` of kind ``PostgresError/Kind/decoding`` naming the column.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let index = columns.indexByName[column] else {
            throw PostgresError(
                kind: .decoding,
                message: "the result has no column \"\(column)\" (it has: \(columns.names.joined(separator: ", ")))",
                column: column)
        }
        return try decode(index, as: type)
    }

    /// Decodes the column at zero-based position `index`.
    public func decode<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        guard values.indices.contains(index) else {
            throw PostgresError(
                kind: .decoding, message: "column index \(index) is out of range (the result has \(values.count))")
        }
        let name = columns.names[index]
        guard let text = values[index] else {
            guard let null = T.postgresNull else {
                throw PostgresError(
                    kind: .decoding,
                    message: "column \"\(name)\" is NULL; decode it as \(T.self)? to accept NULL",
                    column: name)
            }
            return null
        }
        guard let value = T(postgresText: text) else {
            // The value itself stays out of the error: it may be a secret.
            throw PostgresError(
                kind: .decoding,
                message: "column \"\(name)\" (type OID \(columns.typeOIDs[index])) is not a valid \(T.self)",
                column: name)
        }
        return value
    }
}

/// The column layout shared by all rows of one result.
final class PostgresColumns: Sendable {
    let names: [String]
    let typeOIDs: [UInt32]
    let indexByName: [String: Int]

    init(names: [String], typeOIDs: [UInt32]) {
        self.names = names
        self.typeOIDs = typeOIDs
        var indexByName: [String: Int] = [:]
        for (index, name) in names.enumerated() where indexByName[name] == nil {
            indexByName[name] = index
        }
        self.indexByName = indexByName
    }
}
