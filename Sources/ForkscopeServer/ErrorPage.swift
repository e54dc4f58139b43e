import Foundation
import Forkscope

/// The page `forkscope serve` sends in place of a site page while the latest build has failed:
/// the error (naming the file and field, as the command line prints it), and a link to the page
/// as last built. It reloads itself, like every served page, once a build succeeds.
enum ErrorPage {
    static func html(error: String, path: String, version: Int) -> Data {
        let page = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">
            <title>Build failed · forkscope serve</title>
            <style>body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}pre{white-space:pre-wrap;background:#fee;border-left:4px solid #c00;padding:1rem}</style>
            </head>
            <body>
            <h1>The build failed</h1>
            <pre id="forkscope-error">\(Escape.html(error))</pre>
            <p>Fix it and this page reloads by itself. The site as last built is still here:
            <a href="\(Escape.html(path))?last-good">this page as last built</a>.</p>
            </body>
            </html>

            """
        return LiveReload.inject(into: Data(page.utf8), version: version)
    }
}
