"""A shard allocates from its own heap after start-up, never from the
process's (DESIGN.md "Allocation happens at start-up or in per-shard
mimalloc heaps"; core/base/heap.h). An LD_PRELOAD shim
(alloc_count/alloc_count.c, compiled here) notes every malloc-family call
of a shard thread; OTLP/HTTP (protobuf, JSON, gzip, chunked, a large body,
refusals) and OTLP/gRPC traffic (sluice bench, with and without gzip, and
an HTTP/1.1 client on the gRPC port) must add none after start-up, while
the shard's heap counts its blocks. With SLUICE_FAULT heap_fail every heap
allocation is refused: requests get 503 and connections are refused,
counted, and sluice goes on. Skips without a C compiler, and in sanitizer
builds (the heaps are libc's there, and ASan owns malloc).

usage: /usr/bin/python3 test_shard_heap.py PATH/TO/sluice
"""

import gzip
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Skip, check, main  # noqa: E402
from otlp_helpers import (PROTO, bench_grpc, fixture, post,  # noqa: E402
                          start_with_env)

SHIM = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "alloc_count", "alloc_count.c")
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def sanitized(binary):
    p = subprocess.run(["ldd", binary], capture_output=True, text=True)
    return "libasan" in p.stdout or "libubsan" in p.stdout


def build_shim(tmp):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise Skip("no C compiler for the LD_PRELOAD shim")
    so = os.path.join(tmp, "alloc_count.so")
    subprocess.run([cc, "-shared", "-fPIC", "-O2", "-o", so, SHIM, "-ldl"],
                   check=True, capture_output=True)
    return so


def noted(out):
    with open(out) as f:
        return f.read().splitlines()


def otlp_http_traffic(s):
    """Every way a body arrives and leaves, and the refusals."""
    conn = http.client.HTTPConnection("127.0.0.1", s.otlp_http_port,
                                      timeout=30)
    for name, ctype in (("metrics.bin", PROTO), ("logs.bin", PROTO),
                        ("traces.bin", PROTO),
                        ("metrics.json-request", "application/json")):
        sig = name.split(".")[0]
        body = fixture(name)
        for _ in range(3):
            st, _, _ = post(s, f"/v1/{sig}", body, ctype=ctype, conn=conn)
            check(st == 200, f"{name}: {st}")
        st, _, _ = post(s, f"/v1/{sig}", gzip.compress(body), ctype=ctype,
                        headers={"Content-Encoding": "gzip"}, conn=conn)
        check(st == 200, f"{name} gzip: {st}")
    conn.request("POST", "/v1/metrics", body=iter([fixture("metrics.bin")]),
                 headers={"Content-Type": PROTO},
                 encode_chunked=True)
    r = conn.getresponse()
    r.read()
    check(r.status == 200, f"chunked: {r.status}")
    # a body past what a parser keeps between requests: grown, then freed
    big = fixture("metrics.bin") + b"\x00" * (3 << 20)
    st, _, _ = post(s, "/v1/metrics", big, conn=conn)
    check(st == 400, f"3 MiB of padding does not decode: {st}")
    for path, ctype, want in (("/v1/nothing", PROTO, 404),
                              ("/v1/metrics", "text/plain", 415)):
        st, _, _ = post(s, path, b"x", ctype=ctype)
        check(st == want, f"{path} {ctype}: {st}")
    st, _, _ = post(s, "/v1/metrics", b"not gzip", headers={
        "Content-Encoding": "gzip"})
    check(st == 400, f"bad gzip: {st}")
    conn.close()


def otlp_grpc_traffic(binary, s):
    for extra in ([], ["--gzip"]):
        out = bench_grpc(binary, s, extra)
        check(out["rc"] == "0" and int(out["ok"]) > 0 and
              out["errors"] == "0", f"bench: {out}")
    with socket.create_connection(("127.0.0.1", s.otlp_grpc_port),
                                  timeout=10) as c:
        c.sendall(b"POST /v1/metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        while c.recv(65536):
            pass


def test_no_process_heap_on_the_data_path(binary):
    if sanitized(binary):
        raise Skip("sanitizer build: the shard heaps are libc's malloc")
    with tempfile.TemporaryDirectory() as tmp:
        so = build_shim(tmp)
        out = os.path.join(tmp, "allocs.txt")
        s = start_with_env(binary, LD_PRELOAD=so, ALLOC_COUNT_OUT=out)
        try:
            time.sleep(0.5)  # a few ticks of the idle loop
            before = noted(out)
            check(len(before) > 0, "the shim saw no shard thread's start-up "
                  "allocations (is the shard heap made with mi_heap_new?)")
            heap0 = s.total("sluice_shard_heap_allocations_total")
            otlp_http_traffic(s)
            otlp_grpc_traffic(binary, s)
            time.sleep(0.5)
            after = noted(out)
            heap = s.total("sluice_shard_heap_allocations_total") - heap0
            check(after == before, "a shard allocated from the process heap "
                  "after start-up (size caller, in hex): "
                  f"{after[len(before):][:20]}")
            check(heap > 100, f"the shard's heap served {heap} blocks")
            check(s.total("sluice_shard_heap_refused_total") == 0,
                  "nothing refused")
            print(f"  {len(before)} start-up allocations, {heap:.0f} from "
                  "the shard's heap in traffic, none from the process heap")
        finally:
            s.close()


def test_refused_allocations_are_counted(binary):
    s = start_with_env(binary, SLUICE_FAULT="heap_fail=1")
    try:
        st, h, _ = post(s, "/v1/metrics", fixture("metrics.bin"))
        check(st == 503 and h.get("retry-after") == "1",
              f"no memory for the body: {st} {h}")
        check(s.total("sluice_otlp_http_rejected_total", reason="memory") == 1,
              "memory refusal counted")
        with socket.create_connection(("127.0.0.1", s.otlp_grpc_port),
                                      timeout=10) as c:
            c.sendall(PREFACE)
            try:
                while c.recv(65536):
                    pass
            except ConnectionResetError:
                pass  # closed: no memory for its HTTP/2 session
        check(s.total("sluice_otlp_grpc_rejected_total",
                      reason="session_memory") == 1, "gRPC refusal counted")
        refused = s.total("sluice_shard_heap_refused_total")
        check(refused >= 2, f"heap refusals counted: {refused}")
        check(s.total("sluice_shard_heap_allocations_total") == 0,
              "nothing served")
        rc, _ = s.stop()
        check(rc == 0, f"a clean stop after the refusals: {rc}")
    finally:
        s.close()


if __name__ == "__main__":
    main([test_no_process_heap_on_the_data_path,
          test_refused_allocations_are_counted])
