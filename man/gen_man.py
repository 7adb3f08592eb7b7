#!/usr/bin/env python3
"""Write the sluice(1) man page from the --help texts of the built binary,
so the page says what the binary does (meson runs this at build time).

usage: gen_man.py SLUICE VERSION SYSCONFDIR OUT

The page: NAME; SYNOPSIS (each command's Usage lines); DESCRIPTION (the
text of `sluice --help`); COMMANDS (each command's --help under its own
heading); FILES, EXIT STATUS and SEE ALSO from the short text below.

How a --help text becomes roff, line by line:
  - "Usage: ..." and the lines indented under it: the synopsis.
  - an unindented line: running text (filled); a blank line: a paragraph.
  - "  TERM  DESCRIPTION" (two or more spaces between) at the block's
    indent, with deeper-indented lines after it: a .TP entry whose
    description is filled text.
  - "  TERM" alone with deeper-indented lines after it: a .TP entry whose
    lines are kept as written (examples, lists).
  - any other indented line: kept as written.
"""

import os
import re
import subprocess
import sys

COMMANDS = ["run", "import", "query", "inspect", "compact", "stats", "tune",
            "bench"]

TAIL = r"""
.SH FILES
.TP
.I @SYSCONFDIR@/sluice/sluice.conf
options of
.B sluice run
as
.I name = value
lines (every option listed, commented, with its default); the systemd
unit passes it with
.BR \-\-config .
.TP
.I /var/lib/sluice
the data directory of the systemd unit (its StateDirectory).
.TP
.I sluice.service
the systemd unit: runs
.B sluice run
as user sluice (created by the sysusers.d file
.IR sluice.conf ).
.TP
.I 10\-sluice.conf
the sysctl.d profile: the kernel settings
.B sluice tune check
recommends, as minimums that a later sysctl.d file may raise.
.SH EXIT STATUS
0 ok, 1 runtime failure, 2 usage error (the message names the option and
the fix).
.SH SEE ALSO
.BR sysctl.d (5),
.BR systemd.exec (5),
.BR sysusers.d (5).
The source tree's docs/ and kernel\-tuning/README.md say more.
"""


def esc(text):
    """Text as roff: backslashes, minus signs, no request at line start."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    if text.startswith((".", "'")):
        text = "\\&" + text
    return text


def helptext(binary, *args):
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    p = subprocess.run([binary, *args, "--help"], capture_output=True,
                       text=True, env=env, check=False)
    if p.returncode != 0 or not p.stdout:
        sys.exit(f"gen_man.py: `{binary} {' '.join(args)} --help` exited "
                 f"{p.returncode}: {p.stderr.strip()}; build sluice first")
    return p.stdout.rstrip("\n").split("\n")


def indent(line):
    return len(line) - len(line.lstrip(" "))


def split_usage(lines):
    """The Usage lines (and those indented under them), and the rest."""
    if not lines or not lines[0].startswith("Usage: "):
        return [], lines
    usage = [lines[0][len("Usage: "):]]
    i = 1
    while i < len(lines) and lines[i].startswith("       "):
        usage.append(lines[i].strip())
        i += 1
    return usage, lines[i:]


TERM = re.compile(r"^( +)(\S(?:.*?\S)?)(?: {2,}(\S.*))?$")


def entry(lines, i, out):
    """One indented line at lines[i] and its deeper lines; returns next i."""
    m = TERM.match(lines[i])
    base = indent(lines[i])
    j = i + 1
    while j < len(lines) and lines[j].strip() and indent(lines[j]) > base:
        j += 1
    deeper = [l.strip() for l in lines[i + 1:j]]
    if m.group(3) is not None:       # TERM  DESCRIPTION: filled
        out += [".TP", "\\fB" + esc(m.group(2)) + "\\fR"]
        out += [esc(l) for l in [m.group(3)] + deeper]
    elif deeper:                     # TERM, then lines kept as written
        out += [".TP", "\\fB" + esc(m.group(2)) + "\\fR", ".nf"]
        out += [esc(l) for l in deeper] + [".fi"]
    else:                            # a line kept as written
        out += [".nf", esc(lines[i]), ".fi"]
    return j


def body(lines):
    """roff for the text of a --help after its Usage lines."""
    out = []
    in_list = False                  # after a .TP entry or a kept line
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            out.append(".PP")
            in_list = False
            i += 1
        elif indent(line) == 0:
            if in_list:
                out.append(".PP")
                in_list = False
            out.append(esc(line))
            i += 1
        else:
            i = entry(lines, i, out)
            in_list = True
    while out and out[-1] == ".PP":
        out.pop()
    return out


def page(binary, version):
    top = helptext(binary)
    _, about = split_usage(top)
    out = [f'.TH SLUICE 1 "" "sluice {version}" "User Commands"',
           ".nh", ".ad l",            # no hyphens in paths, ragged right
           ".SH NAME",
           "sluice \\- telemetry ingestion appliance",
           ".SH SYNOPSIS", ".nf"]
    sections = []
    for cmd in COMMANDS:
        usage, rest = split_usage(helptext(binary, cmd))
        for u in usage:
            words = u.split(" ", 2)
            rest_of = esc(words[2]) if len(words) > 2 else ""
            out.append(f"\\fBsluice {esc(words[1])}\\fR {rest_of}".rstrip())
        sections.append((cmd, rest))
    out += [".fi", ".SH DESCRIPTION"] + body(about)
    out.append(".SH COMMANDS")
    for cmd, rest in sections:
        out += [f'.SS "sluice {cmd}"'] + body(rest)
    return "\n".join(out) + "\n" + TAIL.lstrip("\n")


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: gen_man.py SLUICE VERSION SYSCONFDIR OUT")
    binary, version, sysconfdir, dest = sys.argv[1:]
    text = page(binary, version).replace("@SYSCONFDIR@", esc(sysconfdir))
    with open(dest + ".tmp", "w") as f:
        f.write(text)
    os.replace(dest + ".tmp", dest)


if __name__ == "__main__":
    main()
