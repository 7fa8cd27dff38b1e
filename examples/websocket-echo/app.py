# A WebSocket echo server: answers each message with "<greeting>: <message>"; a plain GET says the greeting
# (the health check, a browser). It uses the websockets library of the host's Python, Debian's
# python3-websockets (which `make test` installs): /usr is shared read-only with every sandbox. An app that
# does not want to depend on the host lists it in requirements.txt instead.
import asyncio
import http
import os

import websockets

GREETING = os.environ.get("GREETING", "echo v1")


async def echo(websocket, path=None):
    async for message in websocket:
        await websocket.send(f"{GREETING}: {message}")


async def plain_get(path, request_headers):
    if request_headers.get("Upgrade", "").lower() != "websocket":
        return http.HTTPStatus.OK, [("Content-Type", "text/plain")], (GREETING + "\n").encode()
    return None


async def main():
    async with websockets.serve(echo, "0.0.0.0", int(os.environ["PORT"]), process_request=plain_get):
        await asyncio.Future()


asyncio.run(main())
