#!/usr/bin/env python3
"""Times one POST over a raw socket: first response byte, end of headers, first *body* byte, end.

curl's %{time_starttransfer} is the first response byte, headers included: a gateway that sent its headers at once
and the audio later would look fast to it. This client tells the two apart.

  first_byte.py [--label L] [--bearer KEY] [--out FILE] URL JSON_BODY
prints: L,headers_s,first_body_byte_s,total_s,body_bytes,status   (seconds from just before connect)
"""
import argparse
import socket
import sys
import time
from urllib.parse import urlsplit


class Chunked:
    """Incremental decoder of a chunked body: feed() returns the payload bytes the new data completes."""

    def __init__(self):
        self.buf = b""
        self.left = 0         # payload bytes still to read in the current chunk
        self.state = "size"   # size -> data -> crlf -> size ... -> done
        self.done = False

    def feed(self, data):
        self.buf += data
        out = b""
        while True:
            if self.state == "size":
                end = self.buf.find(b"\r\n")
                if end < 0:
                    return out
                self.left = int(self.buf[:end].split(b";")[0], 16)
                self.buf = self.buf[end + 2:]
                self.state = "data" if self.left else "done"
            elif self.state == "data":
                take = self.buf[:self.left]
                out += take
                self.buf = self.buf[len(take):]
                self.left -= len(take)
                if self.left:
                    return out
                self.state = "crlf"
            elif self.state == "crlf":
                if len(self.buf) < 2:
                    return out
                self.buf = self.buf[2:]
                self.state = "size"
            else:
                self.done = True
                return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("body")
    p.add_argument("--label", default="")
    p.add_argument("--bearer", default="")
    p.add_argument("--out")
    args = p.parse_args()

    u = urlsplit(args.url)
    body = args.body.encode()
    headers = [f"POST {u.path} HTTP/1.1", f"Host: {u.netloc}", "Content-Type: application/json",
               f"Content-Length: {len(body)}", "Connection: close"]
    if args.bearer:
        headers.append(f"Authorization: Bearer {args.bearer}")
    request = ("\r\n".join(headers) + "\r\n\r\n").encode() + body

    t0 = time.perf_counter()
    sock = socket.create_connection((u.hostname, u.port or 80))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(request)
    raw = b""
    t_headers = t_body = None
    status = 0
    payload = b""
    decoder = None
    content_length = None
    while True:
        data = sock.recv(65536)
        now = time.perf_counter()
        if not data:
            break
        if t_headers is None:
            raw += data
            end = raw.find(b"\r\n\r\n")
            if end < 0:
                continue
            t_headers = now
            head = raw[:end].decode("latin-1").split("\r\n")
            status = int(head[0].split()[1])
            fields = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in head[1:] if ":" in h)}
            if "chunked" in fields.get("transfer-encoding", "").lower():
                decoder = Chunked()
            elif "content-length" in fields:
                content_length = int(fields["content-length"])
            data = raw[end + 4:]
        got = decoder.feed(data) if decoder else data
        if got and t_body is None:
            t_body = now
        payload += got
        if (decoder and decoder.done) or (content_length is not None and len(payload) >= content_length):
            break
    t_end = time.perf_counter()
    sock.close()
    if args.out:
        with open(args.out, "wb") as f:
            f.write(payload)
    fmt = lambda t: f"{t - t0:.6f}" if t is not None else ""
    print(f"{args.label},{fmt(t_headers)},{fmt(t_body)},{fmt(t_end)},{len(payload)},{status}")


if __name__ == "__main__":
    sys.exit(main())
