import Foundation
import Hummingbird
import Mustache

/// The web UI's templates and static files, bundled with the server so it works offline.
struct WebAssets: Sendable {
    let templates: MustacheLibrary
    /// File name → (content type, bytes), read once at start.
    let files: [String: (contentType: String, body: ByteBuffer)]

    static let contentTypes = [
        "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8", "svg": "image/svg+xml",
    ]

    /// Loads everything from the module bundle's `templates` and `static` folders.
    static func load() throws -> WebAssets {
        guard let root = Bundle.module.resourceURL else { throw WebAssetsError.missing("the resource bundle") }
        var templates = MustacheLibrary()
        let templateFolder = root.appendingPathComponent("templates")
        for name in try FileManager.default.contentsOfDirectory(atPath: templateFolder.path) where name.hasSuffix(".mustache") {
            let text = try String(contentsOf: templateFolder.appendingPathComponent(name), encoding: .utf8)
            try templates.register(text, named: String(name.dropLast(".mustache".count)))
        }
        guard templates.getTemplate(named: "layout") != nil else { throw WebAssetsError.missing("templates/layout.mustache") }
        var files: [String: (String, ByteBuffer)] = [:]
        let folder = root.appendingPathComponent("static")
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            guard let type = contentTypes[(name as NSString).pathExtension] else { continue }
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            files[name] = (type, ByteBuffer(bytes: data))
        }
        return WebAssets(templates: templates, files: files)
    }

    /// The page, or a plain error when a template is missing (a packaging fault, not user input).
    func render(_ template: String, _ view: Any, account: PageAccount? = nil) throws -> Response {
        guard var html = templates.render(view, withTemplate: template) else { throw WebAssetsError.missing("templates/\(template).mustache") }
        if let account {
            html = html.replacingOccurrences(of: "<!--earshot:head-->", with: account.headHTML)
                .replacingOccurrences(of: "<!--earshot:account-->", with: account.headerHTML)
                .replacingOccurrences(of: "<!--earshot:admin-nav-->", with: account.adminNavHTML(current: template))
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }

    func staticFile(_ name: String) -> Response? {
        guard let file = files[name] else { return nil }
        return Response(
            status: .ok, headers: [.contentType: file.contentType, .cacheControl: "no-cache"], body: .init(byteBuffer: file.body)
        )
    }
}

enum WebAssetsError: Error, CustomStringConvertible {
    case missing(String)
    var description: String {
        switch self {
        case .missing(let what): "the web UI's \(what) is missing from the build"
        }
    }
}
