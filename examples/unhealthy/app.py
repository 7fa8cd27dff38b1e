# Starts, but answers every request with 500: its deploy must fail and the previous release keep serving.
import http.server
import os


class Broken(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(500)
        self.end_headers()


http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), Broken).serve_forever()
