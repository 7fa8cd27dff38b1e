// A Node web app without dependencies.
const http = require("http");
http.createServer((request, response) => {
  response.writeHead(200, { "Content-Type": "text/plain" });
  response.end(`hello from node ${process.version}\n`);
}).listen(Number(process.env.PORT), "0.0.0.0");
