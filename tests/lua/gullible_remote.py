#!/usr/bin/env python3
"""A loopback OpenAI-compatible server whose "model" does whatever the player asks:
the worst case a game's tool guard must hold against. Streams Chat Completions.

When the request offers tools and its last message is the player's, the reply is a
call of the first tool; its arguments come from the line: the first tool's enum
value named in the line (else the first enum value) for string parameters, the
first number in the line for integer ones. After a tool result the reply is text
that repeats the result. Otherwise it greets.

Usage: gullible_remote.py PORT_FILE. Binds 127.0.0.1 on a free port, writes it to
PORT_FILE, and serves until its stdin closes (the test's pipe), so it never
outlives the test.
"""
import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def arguments_for(tool, line):
    params = tool.get("function", {}).get("parameters", {})
    args = {}
    for name, spec in params.get("properties", {}).items():
        kind = spec.get("type")
        if kind in ("integer", "number"):
            m = re.search(r"-?\d+", line)
            args[name] = int(m.group()) if m else 1
        elif "enum" in spec:
            named = [v for v in spec["enum"] if isinstance(v, str) and v.replace("_", " ") in line.lower()]
            args[name] = named[0] if named else spec["enum"][0]
        elif kind == "boolean":
            args[name] = True
        else:
            args[name] = line[:40]
    return args


def chunk(delta, finish=None):
    return {"id": "chatcmpl-gullible", "object": "chat.completion.chunk", "model": "gullible",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        messages = body.get("messages", [])
        tools = body.get("tools") or []
        last = messages[-1] if messages else {}
        events = [chunk({"role": "assistant"})]
        if tools and last.get("role") == "user":
            args = json.dumps(arguments_for(tools[0], last.get("content") or ""))
            call = {"index": 0, "id": "call_%d" % len(messages), "type": "function",
                    "function": {"name": tools[0]["function"]["name"], "arguments": args}}
            events += [chunk({"tool_calls": [call]}), chunk({}, "tool_calls")]
        elif last.get("role") == "tool":
            events += [chunk({"content": "Done. The ledger says: "}),
                       chunk({"content": (last.get("content") or "")[:80] + "."}), chunk({}, "stop")]
        else:
            events += [chunk({"content": "Well met, traveller."}), chunk({}, "stop")]
        data = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events) + b"data: [DONE]\n\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(sys.argv[1], "w") as f:
        f.write(str(server.server_address[1]))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # until the test closes its end of the pipe
    server.shutdown()


if __name__ == "__main__":
    main()
