#!/usr/bin/env python3
"""A loopback OpenAI-compatible server that fails in every way a remote can, in turn:
for the soak (bench/soak.sh). Requests cycle through these modes:

  ok        a streamed reply (a call of the first tool when the player's line names
            an item, else text), then [DONE]
  error500  HTTP 500 before any byte of the reply (retryable)
  stall     no byte for 3 s (longer than the soak's first-byte timeout)
  reset     half a reply, then the connection is closed without an end
  garbage   "data: {not json" lines
  endless   text chunks every 20 ms until the client hangs up
  html      an HTML error page with status 200

Usage: faulty_remote.py PORT_FILE. Binds 127.0.0.1 on a free port, writes it to
PORT_FILE and serves until its stdin closes.
"""
import itertools
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = ["ok", "error500", "ok", "stall", "reset", "ok", "garbage", "endless", "html"]
counter = itertools.count()
lock = threading.Lock()


def chunk(delta, finish=None):
    return {"id": "chatcmpl-faulty", "object": "chat.completion.chunk", "model": "faulty",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def sse(event):
    return b"data: " + json.dumps(event).encode() + b"\n\n"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def start_stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        with lock:
            mode = MODES[next(counter) % len(MODES)]
        messages = body.get("messages", [])
        tools = body.get("tools") or []
        last = messages[-1] if messages else {}
        line = (last.get("content") or "").lower()
        try:
            if mode == "error500":
                data = b'{"error": {"message": "overloaded"}}'
                self.send_response(500)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            elif mode == "stall":
                time.sleep(3)
                self.close_connection = True
            elif mode == "reset":
                self.start_stream()
                self.wfile.write(sse(chunk({"role": "assistant"})) + sse(chunk({"content": "Well, I was just about"})))
                self.wfile.flush()
                self.close_connection = True
            elif mode == "garbage":
                self.start_stream()
                self.wfile.write(b"data: {not json\n\ndata: \x00\xff\n\n")
                self.close_connection = True
            elif mode == "endless":
                self.start_stream()
                for _ in range(3000):  # 60 s at most, then the connection ends
                    self.wfile.write(sse(chunk({"content": " and so on"})))
                    self.wfile.flush()
                    time.sleep(0.02)
            elif mode == "html":
                data = b"<html><body>502 Bad Gateway</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            else:
                self.start_stream()
                out = [chunk({"role": "assistant"})]
                if tools and last.get("role") == "user" and "bread" in line:
                    call = {"index": 0, "id": "call_%d" % len(messages), "type": "function",
                            "function": {"name": tools[0]["function"]["name"], "arguments": '{"item": "bread"}'}}
                    out += [chunk({"tool_calls": [call]}), chunk({}, "tool_calls")]
                elif last.get("role") == "tool":
                    out += [chunk({"content": "There you are."}), chunk({}, "stop")]
                else:
                    out += [chunk({"content": "Well met, traveller."}), chunk({}, "stop")]
                self.wfile.write(b"".join(sse(e) for e in out) + b"data: [DONE]\n\n")
        except (BrokenPipeError, ConnectionResetError):
            pass


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(sys.argv[1], "w") as f:
        f.write(str(server.server_address[1]))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
