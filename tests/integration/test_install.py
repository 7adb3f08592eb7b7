"""`meson install` end to end: into a temporary DESTDIR, then check what
landed there. The systemd unit passes `systemd-analyze verify`, the man
page renders without a groff warning, the sysusers.d file creates the
user, and the example config loads in a real `sluice run` (as installed
and with every commented default switched on). A tool that is absent
(systemd-analyze, groff, systemd-sysusers) skips its test.

usage: /usr/bin/python3 test_install.py PATH/TO/sluice MESON BUILD_DIR
"""

import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Skip, Sluice, check, main  # noqa: E402

MESON, BUILD = sys.argv[2], sys.argv[3]
_installed = {}


@functools.lru_cache(maxsize=None)
def options():
    p = subprocess.run([MESON, "introspect", "--buildoptions", BUILD],
                       capture_output=True, text=True, check=True)
    return {o["name"]: o["value"] for o in json.loads(p.stdout)}


def install(destdir):
    p = subprocess.run([MESON, "install", "-C", BUILD, "--no-rebuild",
                        "--destdir", destdir], capture_output=True,
                       text=True, timeout=120)
    check(p.returncode == 0, f"meson install exit {p.returncode}:\n"
          f"{p.stdout}{p.stderr}")


def tree():
    """One install shared by the tests that only read it: its root."""
    if not _installed:
        d = tempfile.mkdtemp(prefix="sluice-it-install-")
        install(d)
        _installed["root"] = d
    return _installed["root"]


def files_under(root):
    out = []
    for d, _, names in os.walk(root):
        out += [os.path.relpath(os.path.join(d, n), root) for n in names]
    return sorted(out)


def under(root, path):
    return os.path.join(root, path.lstrip("/"))


def paths():
    o = options()
    pre = o["prefix"]

    def j(p):
        return os.path.join(pre, p)
    return {"bin": j(o["bindir"]) + "/sluice",
            "man": j(o["mandir"]) + "/man1/sluice.1",
            "conf": j(o["sysconfdir"]) + "/sluice/sluice.conf",
            "example": j(o["datadir"]) + "/doc/sluice/sluice.conf.example",
            "unit": "/sluice.service", "sysusers": "/sysusers.d/sluice.conf",
            "sysctl": "/sysctl.d/10-sluice.conf", "man_on": o["man"]}


SUFFIX_KEYS = ("unit", "sysusers", "sysctl")  # directories from systemd.pc


def find(root, key):
    """The installed file for key: its path, or the one ending as named."""
    p = paths()[key]
    if key not in SUFFIX_KEYS:
        return under(root, p)
    hits = [f for f in files_under(root) if ("/" + f).endswith(p)]
    check(len(hits) == 1, f"{p}: installed as {hits}")
    return os.path.join(root, hits[0])


def test_install_lists_files(binary):
    root = tree()
    got = files_under(root)
    print("installed:\n  " + "\n  ".join(got))
    want = ["bin", "conf", "example", "unit", "sysusers", "sysctl"]
    if paths()["man_on"]:
        want.append("man")
    for key in want:
        check(os.path.isfile(find(root, key)), f"{key} not installed: {got}")
    check(len(got) == len(want), f"{len(got)} files, want {len(want)}: {got}")
    check(os.access(find(root, "bin"), os.X_OK), "sluice not executable")
    src = os.path.join(os.path.dirname(__file__), "..", "..",
                       "kernel-tuning", "10-sluice.conf")
    with open(src) as a, open(find(root, "sysctl")) as b:
        check(a.read() == b.read(), "installed sysctl profile differs")


def unit_text(root):
    with open(find(root, "unit")) as f:
        return f.read()


def test_unit_settings(binary):
    """The paths are the install's; io_uring and pinning stay allowed."""
    root = tree()
    text = unit_text(root)
    p = paths()
    for want in (f"ExecStart={p['bin']} run --config {p['conf']}\n",
                 "Type=exec\n", "ExecReload=/bin/kill -HUP $MAINPID\n",
                 "User=sluice\n", "StateDirectory=sluice\n",
                 "LimitMEMLOCK=infinity\n"):
        check(want in text, f"unit lacks {want.strip()!r}")
    allowed = " ".join(re.findall(r"^SystemCallFilter=([^~].*)$", text,
                                  re.M))
    for call in ("io_uring_setup", "io_uring_enter", "io_uring_register",
                 "sched_setaffinity"):
        check(call in allowed, f"SystemCallFilter does not name {call}")
    check(not re.search(r"^SystemCallFilter=~", text, re.M),
          "a deny-list SystemCallFilter")
    check(os.path.isfile(under(root, p["conf"])), "the unit's config is "
          "not installed")


def test_unit_verifies(binary):
    """systemd-analyze verify, with the paths pointed into DESTDIR."""
    tool = shutil.which("systemd-analyze")
    if tool is None:
        raise Skip("no systemd-analyze (apt-get install systemd)")
    root = tree()
    p = paths()
    with tempfile.TemporaryDirectory(prefix="sluice-it-unit-") as tmp:
        unit = os.path.join(tmp, "sluice.service")
        with open(unit, "w") as f:
            f.write(unit_text(root).replace(p["bin"], under(root, p["bin"])))
        env = dict(os.environ, MANPATH=os.path.dirname(os.path.dirname(
            find(root, "man"))) if p["man_on"] else "")
        r = subprocess.run([tool, "verify"] + ([] if p["man_on"] else
                                               ["--man=no"]) + [unit],
                           capture_output=True, text=True, env=env,
                           timeout=60)
        check(r.returncode == 0 and not r.stderr.strip(),
              f"systemd-analyze verify exit {r.returncode}: {r.stderr}")


def test_sysusers_creates_the_user(binary):
    tool = shutil.which("systemd-sysusers")
    if tool is None:
        raise Skip("no systemd-sysusers (apt-get install systemd)")
    root = tree()
    with tempfile.TemporaryDirectory(prefix="sluice-it-sysusers-") as tmp:
        os.mkdir(os.path.join(tmp, "etc"))
        r = subprocess.run([tool, f"--root={tmp}", "--dry-run",
                            find(root, "sysusers")], capture_output=True,
                           text=True, timeout=60)
    out = r.stdout + r.stderr
    check(r.returncode == 0 and "Creating user 'sluice'" in out,
          f"systemd-sysusers exit {r.returncode}: {out}")


def help_options(binary, cmd):
    p = subprocess.run([binary, cmd, "--help"], capture_output=True,
                       text=True, check=True)
    return set(re.findall(r"^  (?:-h, )?--([a-z0-9-]+)", p.stdout, re.M))


def test_man_page_renders(binary):
    if not paths()["man_on"]:
        raise Skip("built with -Dman=false")
    tool = shutil.which("groff")
    if tool is None:
        raise Skip("no groff (apt-get install groff-base)")
    page = find(tree(), "man")
    r = subprocess.run([tool, "-man", "-Tutf8", "-ww", "-z", page],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and not r.stderr, f"groff: {r.stderr}")
    r = subprocess.run([tool, "-man", "-Tutf8", "-P-c", "-P-b", "-P-u",
                        page], capture_output=True, text=True, timeout=60)
    text = r.stdout.replace("\u2010\n", "").replace("\u2010", "-")
    for cmd in ("run", "import", "query", "inspect", "compact", "stats",
                "tune", "bench"):
        check(f"sluice {cmd}" in text, f"man page lacks sluice {cmd}")
        for opt in help_options(binary, cmd):
            check(f"--{opt}" in text, f"man page lacks {cmd} --{opt}")


def config_names(path):
    names = set()
    with open(path) as f:
        for line in f:
            m = re.match(r"^#?([a-z0-9-]+) = ", line)
            if m:
                names.add(m.group(1))
    return names


def loads(binary, path):
    p = subprocess.run([binary, "run", "--config", path, "--help"],
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 0, f"{path} does not load: exit {p.returncode}: "
          f"{p.stderr}")


def test_example_config_has_every_option(binary):
    conf = find(tree(), "conf")
    want = help_options(binary, "run") - {"config", "help"}
    got = config_names(conf)
    check(want <= got, f"example config lacks {sorted(want - got)}")
    check(got <= want, f"example config names unknown {sorted(got - want)}")
    with open(conf) as a, open(find(tree(), "example")) as b:
        check(a.read() == b.read(), "sluice.conf != sluice.conf.example")


def test_example_config_runs(binary):
    """As installed, and with every commented default uncommented (cores
    excepted: its example names CPUs this box may lack), the config loads
    and `sluice run` starts with it (listeners and data-dir overridden on
    the command line, which wins over the file)."""
    conf = find(tree(), "conf")
    loads(binary, conf)
    with tempfile.TemporaryDirectory(prefix="sluice-it-conf-") as tmp:
        every = os.path.join(tmp, "every.conf")
        with open(conf) as f, open(every, "w") as out:
            for line in f:
                if re.match(r"^#[a-z0-9-]+ = ", line) and \
                        not line.startswith("#cores"):
                    line = line[1:]
                out.write(line)
        loads(binary, every)
        for path in (conf, every):
            s = Sluice(binary, extra=["--config", path])
            try:
                check(s.total("sluice_series_active") == 0, "metrics")
                rc, _ = s.stop()
                check(rc == 0, f"stop exit {rc}: {s.logtext()}")
            finally:
                s.close()


def test_reinstall_keeps_the_config(binary):
    with tempfile.TemporaryDirectory(prefix="sluice-it-reinstall-") as d:
        install(d)
        conf = under(d, paths()["conf"])
        with open(conf, "a") as f:
            f.write("max-series = 5\n")
        install(d)
        with open(conf) as f:
            check(f.read().endswith("max-series = 5\n"),
                  "reinstall overwrote sluice.conf")


if __name__ == "__main__":
    try:
        main([test_install_lists_files, test_unit_settings,
              test_unit_verifies, test_sysusers_creates_the_user,
              test_man_page_renders, test_example_config_has_every_option,
              test_example_config_runs, test_reinstall_keeps_the_config])
    finally:
        if _installed:
            shutil.rmtree(_installed["root"], ignore_errors=True)
