#!/usr/bin/env python3
# UDP with segmentation offload, as QUIC stacks send it, for the end-to-end benchmark
# (measure-udp-gso.ts): `send` hands the kernel DGRAMS_PER_SEND datagrams of SIZE payload bytes per
# sendto with UDP_SEGMENT, as fast as it can for SECONDS; `recv` reads with UDP_GRO (so a batch of
# datagrams costs one read when the path delivers them merged) and counts payload bytes until SECONDS
# after the first one, or until nothing came for 2 s. Each prints one JSON line; recv prints "ready"
# first. Python because Node's dgram has neither socket option.
# Usage: udp-gso.py send DST PORT SECONDS [SIZE] | udp-gso.py recv PORT SECONDS
import json
import socket
import sys
import time

# From include/uapi/linux/udp.h.
UDP_SEGMENT = 103
UDP_GRO = 104
# Our choice: 1400-byte payloads (a 1500 MTU container, like QUIC's usual datagram) and 45 of them
# per send (63000 bytes, under the 64 KB a UDP_SEGMENT send may carry).
DEFAULT_SIZE = 1400
DGRAMS_PER_SEND = 45
RECV_BUFFER = 8 << 20
IDLE_END_S = 2.0


def send(dst, port, seconds, size):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_UDP, UDP_SEGMENT, size)
    payload = bytes(i & 0xff for i in range(size * DGRAMS_PER_SEND))
    sends = errors = 0
    start = time.monotonic()
    end = start + seconds
    while time.monotonic() < end:
        for _ in range(64):
            try:
                s.sendto(payload, (dst, port))
                sends += 1
            except OSError:
                errors += 1
    elapsed = time.monotonic() - start
    print(json.dumps({"sends": sends, "errors": errors, "bytes": sends * len(payload), "seconds": elapsed}))


def recv(port, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECV_BUFFER)
    s.setsockopt(socket.IPPROTO_UDP, UDP_GRO, 1)
    s.bind(("0.0.0.0", port))
    print("ready", flush=True)
    buf = bytearray(65536)
    s.settimeout(30)
    total = s.recv_into(buf)
    reads = 1
    start = time.monotonic()
    s.settimeout(IDLE_END_S)
    try:
        while time.monotonic() - start < seconds:
            total += s.recv_into(buf)
            reads += 1
    except socket.timeout:
        pass
    elapsed = min(time.monotonic() - start, seconds)
    print(json.dumps({"bytes": total, "reads": reads, "seconds": elapsed}), flush=True)


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) >= 4 and a[0] == "send":
        send(a[1], int(a[2]), float(a[3]), int(a[4]) if len(a) > 4 else DEFAULT_SIZE)
    elif len(a) == 3 and a[0] == "recv":
        recv(int(a[1]), float(a[2]))
    else:
        sys.exit("usage: udp-gso.py send DST PORT SECONDS [SIZE] | udp-gso.py recv PORT SECONDS")
