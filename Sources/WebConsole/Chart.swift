import Foundation

/// A small line chart drawn on the server as inline SVG (no script, no external file): one point per
/// minute of the last hour, gaps where there is no value, the latest value and the peak in the caption.
struct Chart {
    let title: String
    let unit: String
    /// One value per minute, oldest first (nil: no data for that minute).
    let values: [Double?]

    static let width = 300.0
    static let height = 64.0

    /// The chart's HTML: a figure with the SVG and a caption. Only numbers and the escaped title go in.
    var html: String {
        let known = values.compactMap { $0 }
        let peak = max(known.max() ?? 0, 1e-9)
        let step = values.count > 1 ? Self.width / Double(values.count - 1) : 0
        var segments: [[String]] = [[]]
        for (index, value) in values.enumerated() {
            guard let value else {
                if !(segments.last?.isEmpty ?? true) { segments.append([]) }
                continue
            }
            let x = Double(index) * step
            let y = Self.height - 2 - (value / peak) * (Self.height - 4)
            segments[segments.count - 1].append(String(format: "%.1f,%.1f", x, y))
        }
        let lines = segments.filter { !$0.isEmpty }.map { points in
            points.count == 1
                ? "<circle cx=\"\(points[0].split(separator: ",")[0])\" cy=\"\(points[0].split(separator: ",")[1])\" r=\"2\" fill=\"currentColor\"/>"
                : "<polyline points=\"\(points.joined(separator: " "))\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"1.5\"/>"
        }.joined()
        let latest = known.last.map { Self.format($0) } ?? "—"
        let label = Self.escape("\(title): latest \(latest) \(unit), peak \(Self.format(known.max() ?? 0)) \(unit) over the last hour")
        return """
            <figure class="chart"><svg viewBox="0 0 \(Int(Self.width)) \(Int(Self.height))" role="img" aria-label="\(label)" \
            preserveAspectRatio="none" data-points="\(known.count)"><line x1="0" y1="\(Self.height - 1)" x2="\(Self.width)" \
            y2="\(Self.height - 1)" stroke="currentColor" stroke-opacity="0.3"/>\(lines)</svg>\
            <figcaption><strong>\(Self.escape(title))</strong> \(latest) \(Self.escape(unit)) <span class="help">peak \
            \(Self.format(known.max() ?? 0))</span></figcaption></figure>
            """
    }

    static func format(_ value: Double) -> String {
        value >= 100 || value == value.rounded() ? String(Int(value.rounded())) : String(format: "%.1f", value)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// The API's minutes by their start.
    static func slots(_ minutes: [[String: Any]]) -> [Int64: [String: Any]] {
        var byStart: [Int64: [String: Any]] = [:]
        for minute in minutes { if let start = minute["start"] as? Int { byStart[Int64(start)] = minute } }
        return byStart
    }

    /// The charts of a deployment's metrics (`GET /v1/deployments/{uuid}/metrics`).
    static func deploymentCharts(_ minutes: [[String: Any]], now: Date = Date()) -> String {
        let byStart = slots(minutes)
        let current = Int64(now.timeIntervalSince1970) / 60 * 60
        let starts = (0...60).map { current - Int64(60 - $0) * 60 }
        func series(_ key: String, scale: Double = 1) -> [Double?] {
            starts.map { start in
                guard let minute = byStart[start] else { return nil }
                return (minute[key] as? Double ?? (minute[key] as? Int).map(Double.init)).map { $0 * scale }
            }
        }
        // Requests and errors are counts: a minute without data (the edge running, no request) is zero.
        let requests = starts.map { byStart[$0] == nil ? 0 : Double(byStart[$0]?["requests"] as? Int ?? 0) }
        let errors = starts.map { byStart[$0] == nil ? 0 : Double(byStart[$0]?["errors"] as? Int ?? 0) }
        return [
            Chart(title: "Requests", unit: "/min", values: requests),
            Chart(title: "5xx errors", unit: "/min", values: errors),
            Chart(title: "Latency", unit: "ms", values: series("latency_ms_mean")),
            Chart(title: "Memory", unit: "MiB", values: series("memory_bytes", scale: 1.0 / 1_048_576)),
            Chart(title: "CPU", unit: "%", values: series("cpu_percent")),
        ].map(\.html).joined(separator: "\n")
    }
}
