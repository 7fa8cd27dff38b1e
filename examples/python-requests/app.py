# A web app with a dependency from PyPI (installed by the build into /app/.venv).
import http.server
import os

import six  # from requirements.txt


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"six {six.__version__} from PyPI\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), Handler).serve_forever()
