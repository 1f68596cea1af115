import EnricherCore
import Foundation
import Testing

/// The status page as a browser gets it: its files, their content types and Content-Security-Policy,
/// and (in `StatusPageBrowserTests`) the page itself in a real Chromium.
@Suite("Status page", .serialized)
struct StatusPageTests {
    static let policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

    @Test("the page and its files are served without a key, each with its content type, the CSP and nosniff")
    func files() async throws {
        try await TestService.with { service in
            let client = service.client
            let expected = [
                ("/", "text/html"), ("/ui", "text/html"), ("/ui/status.js", "text/javascript"), ("/ui/status.css", "text/css"),
                ("/ui/icon.svg", "image/svg+xml"),
            ]
            for (path, type) in expected {
                let response = try await client.send("GET", path, auth: .none)
                #expect(response.status == 200, "\(path): \(response.status) \(response.text)")
                #expect(response.header("Content-Type")?.hasPrefix(type) == true, "\(path): \(response.header("Content-Type") ?? "none")")
                #expect(response.header("Content-Security-Policy") == Self.policy, "\(path)")
                #expect(response.header("X-Content-Type-Options") == "nosniff", "\(path)")
                #expect(response.header("Referrer-Policy") == "no-referrer", "\(path)")
                #expect(!response.body.isEmpty, "\(path)")
                let head = try await RawAnswer.exchange(port: client.port, "HEAD", path)
                #expect(head.status == 200 && head.body.isEmpty && head.header("content-security-policy") == Self.policy, "HEAD \(path): \(head)")
            }
            let post = try await client.send("POST", "/ui", json: [:], auth: .none)
            #expect(post.status == 405 && post.header("Allow") == "GET, HEAD", "\(post.status) \(post.header("Allow") ?? "")")
            #expect(try await client.send("GET", "/ui/nothing.js", auth: .none).status == 404)
        }
    }

    @Test("the page names nothing outside its own origin: no absolute URL, no inline script or style, no imports")
    func nothingLeavesTheOrigin() async throws {
        try await TestService.with { service in
            let client = service.client
            let html = try await client.send("GET", "/ui", auth: .none).text
            let script = try await client.send("GET", "/ui/status.js", auth: .none).text
            let style = try await client.send("GET", "/ui/status.css", auth: .none).text
            // Every src and href is a path on this origin (or a fragment).
            let references = html.matches(of: /(?:src|href)="([^"]*)"/).map { String($0.1) }
            #expect(references.sorted() == ["#main", "/ui/icon.svg", "/ui/status.css", "/ui/status.js"], "\(references)")
            // No inline script or style the CSP would have to allow.
            #expect(html.matches(of: /<script[^>]*>[^<]+<\/script>/).isEmpty && !html.contains("<style") && !html.contains(" style="))
            #expect(html.matches(of: /\son[a-z]+=/).isEmpty, "inline event handlers")
            for (name, text) in [("html", html), ("script", script), ("style", style)] {
                #expect(text.matches(of: /[a-z]+:\/\//).isEmpty, "\(name) names an absolute URL")
            }
            #expect(!style.contains("@import") && !style.contains("url("))
            // The script calls the API with paths only, and keeps the key for the tab.
            #expect(script.contains("sessionStorage") && !script.contains("localStorage") && !script.contains("document.cookie"))
            #expect(!script.contains("innerHTML") && !script.contains("eval("), "the script builds the DOM with text only")
        }
    }
}
