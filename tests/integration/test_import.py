"""`sluice import` end to end: files larger than its 4 MiB feed chunks
lose and split nothing (StatsD sums per series read back with `sluice
inspect --points`, syslog frames crossing chunk edges), stderr stays
silent when it is not a terminal, and on a terminal a progress line is
redrawn in place and erased at the end.

usage: /usr/bin/python3 test_import.py PATH/TO/sluice
"""

import os
import pty
import re
import select
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, main  # noqa: E402

CHUNK = 4 << 20  # IMPORT_CHUNK_BYTES in core/cmd/import.c


def summary(out):
    """`points N errors N ...` as {key: value}."""
    words = out.split()
    return {words[i]: float(words[i + 1]) for i in range(0, len(words), 2)}


def statsd_file(path, lines):
    """Counters over 1000 series, values 1..7; the last line has no '\\n'.
    Returns the expected sum per series key."""
    sums = {}
    with open(path, "w") as f:
        for i in range(lines):
            name, v = f"imp.s{i % 1000}", i % 7 + 1
            key = f"{name}#env:prod,host:h{i % 1000 % 13}"
            sums[key] = sums.get(key, 0) + v
            end = "" if i == lines - 1 else "\n"
            f.write(f"{name}:{v}|c|#env:prod,host:h{i % 1000 % 13}{end}")
    return sums


def test_statsd_over_chunks_loses_nothing(binary):
    with tempfile.TemporaryDirectory(prefix="sluice-it-import-") as tmp:
        src, data = os.path.join(tmp, "in.statsd"), os.path.join(tmp, "d")
        lines = 600000
        sums = statsd_file(src, lines)
        check(os.path.getsize(src) > 2 * 2 * CHUNK, "file too small to "
              "take two chunks per part on two shards")
        p = subprocess.run([binary, "import", "--proto", "statsd", "--cores",
                            "2", "--data-dir", data, src],
                           capture_output=True, text=True, timeout=120)
        check(p.returncode == 0, f"import exit {p.returncode}: {p.stderr}")
        check(p.stderr == "", f"stderr not a terminal, yet: {p.stderr!r}")
        got = summary(p.stdout)
        check(got["points"] == lines and got["errors"] == 0,
              f"summary: {p.stdout}")
        p = subprocess.run([binary, "inspect", "--points", data],
                           capture_output=True, text=True, timeout=120)
        check(p.returncode == 0, f"inspect exit {p.returncode}: {p.stderr}")
        read = {}
        for line in p.stdout.splitlines():
            m = re.match(r"^    (\S+) counter \d+ (\S+)$", line)
            if m:
                read[m.group(1)] = read.get(m.group(1), 0) + float(m.group(2))
        check(read == sums, f"{len(read)} series read back, {len(sums)} "
              f"written; first differences: "
              f"{[k for k in sums if read.get(k) != sums[k]][:3]}")


def test_syslog_frames_across_chunks(binary):
    """Octet-counted frames of odd lengths: many straddle a chunk edge."""
    with tempfile.TemporaryDirectory(prefix="sluice-it-import-") as tmp:
        src = os.path.join(tmp, "in.syslog")
        n = 0
        with open(src, "wb") as f:
            while f.tell() < 2 * CHUNK + 12345:
                msg = (f"<34>1 2024-05-01T12:00:00Z host app - - - "
                       f"message {n} {'x' * (n % 301)}").encode()
                f.write(b"%d %s" % (len(msg), msg))
                n += 1
        p = subprocess.run([binary, "import", "--proto", "syslog", "--cores",
                            "1", "--no-store", src], capture_output=True,
                           text=True, timeout=120)
        check(p.returncode == 0 and p.stderr == "",
              f"import exit {p.returncode}: {p.stderr!r}")
        got = summary(p.stdout)
        check(got["records"] == n and got["errors"] == 0,
              f"{n} messages, summary: {p.stdout}")


def read_pty(fd, proc, timeout):
    out = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:      # EIO: the child closed its end
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    return out


def test_progress_on_a_terminal(binary):
    """stderr a pty: the line is redrawn in place (\\r ... erase to end of
    line), counts up to the total, and is erased before the summary."""
    with tempfile.TemporaryDirectory(prefix="sluice-it-import-") as tmp:
        src = os.path.join(tmp, "big.statsd")
        block = "".join(f"imp.p{i}:1|c|#env:prod,host:h{i % 7},dc:eu\n"
                        for i in range(2000)).encode()
        with open(src, "wb") as f:
            f.write(block * ((120 << 20) // len(block)))
        size = os.path.getsize(src)
        master, slave = pty.openpty()
        proc = subprocess.Popen([binary, "import", "--proto", "statsd",
                                 "--cores", "1", "--no-store", src],
                                stdout=subprocess.PIPE, stderr=slave)
        os.close(slave)
        err = read_pty(master, proc, 120)
        out = proc.stdout.read().decode()
        rc = proc.wait(timeout=30)
        os.close(master)
        check(rc == 0, f"import exit {rc}: {err!r}")
        check("\x1b" not in out, f"escapes on stdout: {out!r}")
        secs = summary(out)["seconds"]
        draws = re.findall(rb"\rimport: (.*?) of (.*?) \((\d+)%\), "
                           rb"(.*?)/s\x1b\[K", err)
        print(f"import took {secs} s on a terminal: {len(draws)} redraws")
        if secs >= 0.6:  # one redraw period is 0.25 s: fewer may draw none
            check(draws, f"{secs} s on a terminal, no progress: {err!r}")
        if draws:
            pct = [int(d[2]) for d in draws]
            check(pct == sorted(pct) and pct[-1] <= 100, f"percent {pct}")
            total = f"{size / (1 << 20):.2f} MiB".encode()
            check(all(d[1] == total for d in draws),
                  f"total {draws[0][1]!r}, want {total!r}")
            check(err.endswith(b"\r\x1b[K"), f"line not erased: {err[-80:]!r}")
        check(re.sub(rb"\rimport: [^\r]*\x1b\[K|\r\x1b\[K", b"", err) == b"",
              f"stderr holds more than the progress line: {err!r}")


if __name__ == "__main__":
    main([test_statsd_over_chunks_loses_nothing,
          test_syslog_frames_across_chunks,
          test_progress_on_a_terminal])
