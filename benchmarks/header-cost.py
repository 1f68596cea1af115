#!/usr/bin/env python3
"""Server CPU per KiB of request header section, for `scripts/bench http`.

usage: header-cost.py PORT PID HEAD_BYTES SECONDS [MAX_REQUESTS]

Sends `GET /healthz` again and again over one keep-alive connection to 127.0.0.1:PORT, each request
padded with one `X-Pad` header so that its whole head (request line, header fields and the blank line
ending them) is exactly HEAD_BYTES long. Every response must be 200. Sends for SECONDS (after a short
warm-up), or MAX_REQUESTS (default 1,000,000), whichever comes first, and reads the server process PID's
CPU time (utime + stime from /proc/PID/stat) just before and just after. Prints one line:
    requests=N cpu_seconds=S wall_seconds=W
"""
import os
import socket
import sys
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        # Fields after the command name (which is in parentheses and may hold spaces): utime is the
        # 14th field of the whole line, stime the 15th.
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def build_request(port, head_bytes):
    start = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Pad: "
    end = "\r\n\r\n"
    pad = head_bytes - len(start) - len(end)
    if pad < 1:
        sys.exit(f"header-cost: {head_bytes} bytes is too small for a request head")
    request = (start + "p" * pad + end).encode("ascii")
    assert len(request) == head_bytes
    return request


class Connection:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def exchange(self, request):
        """Sends request and reads one whole response; returns its status code."""
        self.sock.sendall(request)
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("connection", "").lower() == "close":
            raise ConnectionError(f"the server closes the connection (status {status})")
        if "chunked" in headers.get("transfer-encoding", "").lower():
            while b"0\r\n\r\n" not in self.buffer:
                self._fill()
            self.buffer = self.buffer.split(b"0\r\n\r\n", 1)[1]
        else:
            length = int(headers.get("content-length", "0"))
            while len(self.buffer) < length:
                self._fill()
            self.buffer = self.buffer[length:]
        return status


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    port, pid, head_bytes = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    seconds = float(sys.argv[4])
    max_requests = int(sys.argv[5]) if len(sys.argv) == 6 else 1_000_000
    request = build_request(port, head_bytes)
    connection = Connection(port)

    warm_up_until = time.monotonic() + min(1.0, seconds / 5)
    for _ in range(1000):
        if time.monotonic() >= warm_up_until:
            break
        status = connection.exchange(request)
        if status != 200:
            sys.exit(f"header-cost: the server answered {status} to a {head_bytes}-byte request head")

    cpu_before, start = cpu_seconds(pid), time.monotonic()
    deadline = start + seconds
    count = 0
    while count < max_requests and time.monotonic() < deadline:
        status = connection.exchange(request)
        if status != 200:
            sys.exit(f"header-cost: the server answered {status} to a {head_bytes}-byte request head")
        count += 1
    wall, cpu_after = time.monotonic() - start, cpu_seconds(pid)
    print(f"requests={count} cpu_seconds={cpu_after - cpu_before:.3f} wall_seconds={wall:.3f}")


if __name__ == "__main__":
    main()
