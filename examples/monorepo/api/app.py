import http.server
import os


class API(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"ok": true}\n' if self.path == "/health" else b'{"service": "api"}\n'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), API).serve_forever()
