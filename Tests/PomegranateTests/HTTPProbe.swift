/// A minimal HTTP/1.0 GET with timeouts, to check from the host what an app serves.
enum HTTPProbe {
    /// The response body, or nil if the connection or request failed.
    static func get(address: String, path: String = "/", timeoutMilliseconds: Int = 2000) -> String? {
        try? probe(address: address, path: path, timeoutMilliseconds: timeoutMilliseconds).get()
    }

    /// The response body, or what failed (the step and its errno, or what came back).
    static func probe(address: String, path: String = "/", timeoutMilliseconds: Int = 2000) -> Result<String, TCPClient.Failure> {
        Result { () throws(TCPClient.Failure) -> String in
            let client = try TCPClient(address: address, timeoutMilliseconds: timeoutMilliseconds)
            try client.send("GET \(path) HTTP/1.0\r\nHost: probe\r\n\r\n")
            let text = try client.receive()
            guard text.hasPrefix("HTTP/1.") && text.contains(" 200 "), let split = text.range(of: "\r\n\r\n") else {
                throw TCPClient.Failure(description: "answer \(text.prefix(200).debugDescription)")
            }
            return String(text[split.upperBound...])
        }
    }
}
