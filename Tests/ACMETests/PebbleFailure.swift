/// pebble could not be started or queried.
struct PebbleFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
