import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// Renders the console's pages: each page template (Embedded/templates/<name>.mustache) inside the layout,
/// with the signed-in user, the navigation and the CSRF token every form carries. Mustache escapes every
/// `{{value}}`; only `{{{body}}}` (our own rendered HTML) is inserted raw.
struct PageRenderer: Sendable {
    private let library: MustacheLibrary

    init() throws {
        var library = MustacheLibrary()
        for (path, text) in EmbeddedFiles.contents where path.hasPrefix("templates/") && path.hasSuffix(".mustache") {
            let name = String(path.dropFirst("templates/".count).dropLast(".mustache".count))
            try library.register(text, named: name)
        }
        self.library = library
    }

    /// An HTML page. `values` are the template's own; `csrf`, `user` and `admin` are added for every page.
    func page(_ template: String, title: String, values: [String: Any] = [:], context: ConsoleRequestContext, csrf: String,
              status: HTTPResponse.Status = .ok, notice: String? = nil, problem: String? = nil) -> Response {
        var common: [String: Any] = ["csrf": csrf, "admin": context.isAdmin]
        if let user = context.user { common["user"] = user }
        if let notice { common["notice"] = notice }
        if let problem { common["problem"] = problem }
        let body = library.render(values.merging(common) { mine, _ in mine }, withTemplate: template) ?? ""
        var layout = common
        layout["title"] = title
        layout["body"] = body
        let html = library.render(layout, withTemplate: "layout") ?? body
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                        body: .init(byteBuffer: .init(string: html)))
    }

    /// A static file (stylesheet, script) from Embedded/static.
    static func asset(_ name: String) -> Response? {
        guard let text = EmbeddedFiles.contents["static/" + name] else { return nil }
        let type = name.hasSuffix(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8"
        return Response(status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=3600"],
                        body: .init(byteBuffer: .init(string: text)))
    }
}
