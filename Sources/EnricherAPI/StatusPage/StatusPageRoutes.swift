import HTTPCore

/// `/` and `/ui`: the status page an operator opens in a browser, with its script, style sheet and
/// icon. Everything is compiled into the binary (no build step, nothing fetched from elsewhere) and
/// served without a key: the page asks for one and sends it with its own API calls. The
/// Content-Security-Policy lets the page load and call nothing but this service.
struct StatusPageRoutes: Sendable {
    /// Only this origin, for every kind of resource; no inline script or style, no frames, no plugins.
    static let contentSecurityPolicy = [
        "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "connect-src 'self'",
        "form-action 'self'", "base-uri 'none'", "frame-ancestors 'none'",
    ].joined(separator: "; ")

    /// Each path with its content type and body.
    static let assets: [(path: String, contentType: String, body: String)] = [
        ("/", "text/html; charset=utf-8", StatusPage.html),
        ("/ui", "text/html; charset=utf-8", StatusPage.html),
        ("/ui/status.js", "text/javascript; charset=utf-8", StatusPage.script),
        ("/ui/status.css", "text/css; charset=utf-8", StatusPage.style),
        ("/ui/icon.svg", "image/svg+xml", StatusPage.icon),
    ]

    func register(in router: inout Router) {
        for asset in Self.assets {
            let response = HTTPResponse(status: .ok, headers: [
                "Content-Type": asset.contentType,
                "Content-Security-Policy": Self.contentSecurityPolicy,
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
                // Served again after an upgrade: the browser asks each time (the files are small).
                "Cache-Control": "no-cache",
            ], bytes: Array(asset.body.utf8))
            router.add(.GET, asset.path, access: .public) { _ in response }
        }
    }
}
