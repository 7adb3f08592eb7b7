"""perf/ramp_report.py - medians, PNG plots (gnuplot) and the Markdown of
`perf/ramp.py report`: the "Loopback ramp" and "Peers" sections of
perf/RESULTS.md and the measurements table of kernel-tuning/README.md."""

import json
import os
import statistics
import subprocess

from ramp import BEGIN, END, LOSS_FREE_PCT

MEASURE_MARK = "<!-- MEASUREMENTS"


def med(values):
    return statistics.median(values) if values else 0.0


def group(runs, **want):
    return [r for r in runs if all(r.get(k) == v for k, v in want.items())]


def step_medians(runs, labels):
    """{rate label: (offered, received rate, loss %, n)} over the runs."""
    out = {}
    for label in labels:
        st = [s for r in runs for s in r["steps"] if s["rate"] == label]
        if st:
            out[label] = (med([s["offered"] for s in st]),
                          med([s["received_rate"] for s in st]),
                          med([s["loss_pct"] for s in st]), len(st))
    return out


def mps(v):
    return f"{v / 1e6:.2f}"


def gnuplot(png, title, series, datadir):
    """Two panels over a log offered-rate axis: received above, loss %
    below. series: [(legend, {label: (offered, received, loss, n)})]."""
    rx, loss = [], []
    for i, (legend, med_steps) in enumerate(series):
        dat = os.path.join(datadir, f"{os.path.basename(png)}.{i}.dat")
        with open(dat, "w") as f:
            for off, r, lp, _ in sorted(med_steps.values()):
                f.write(f"{off / 1e6:.4f} {r / 1e6:.4f} {lp:.4f}\n")
        style = f"with linespoints lw 2 pt 7 lc {i + 1} title '{legend}'"
        rx.append(f"'{dat}' using 1:2 {style}")
        loss.append(f"'{dat}' using 1:3 {style}")
    script = "\n".join([
        "set terminal pngcairo size 1000,800 font ',10'",
        f"set output '{png}'", "set multiplot layout 2,1",
        f"set title '{title}'", "set logscale x", "set logscale y",
        "set grid", "set key left top",
        "set xlabel 'offered (M lines/s, as achieved by sluice bench)'",
        "set ylabel 'received (M lines/s)'",
        "plot x with lines lc rgb '#999999' dt 3 title 'received = offered',"
        " " + ", ".join(rx),
        "unset title", "unset logscale y", "set yrange [0:100]",
        "set ylabel 'loss (%)'",
        f"set arrow from graph 0, first {LOSS_FREE_PCT} to graph 1, first "
        f"{LOSS_FREE_PCT} nohead dt 2",
        "plot " + ", ".join(loss), "unset multiplot", ""])
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


def ramp_tables(doc, kind, server_tags, sizes):
    """Markdown: per step medians, one column group per (server, tags)."""
    labels = doc["rates"].split(",")
    out = []
    for size in sizes:
        cols = [(srv, tags, step_medians(group(doc["runs"], kind=kind,
                                               server=srv, size=size,
                                               tags=tags), labels))
                for srv, tags in server_tags]
        head = "| step |" + "".join(
            f" {srv} tags {tags}: offered / received M/s, loss % |"
            for srv, tags, _ in cols)
        out += [f"{size}-byte datagrams (medians of the runs; after two "
                "steps in a row with loss > 1 % a run goes straight to "
                "`max`, n = runs that had the step):", "",
                head, "|---" * (1 + len(cols)) + "|"]
        for label in labels:
            cells = []
            for _, _, m in cols:
                if label in m:
                    o, rx, loss, n = m[label]
                    cells.append(f" {mps(o)} / {mps(rx)}, {loss:.3f}"
                                 + ("" if n == len(set(r['run'] for r in
                                                       doc['runs'])) else
                                    f" (n={n})") + " |")
                else:
                    cells.append(" - |")
            out.append(f"| {label} |" + "".join(cells))
        out.append("")
    return out


def loss_free_line(runs):
    vals = [r["loss_free"] for r in sorted(runs, key=lambda r: r["run"])]
    return med(vals), ", ".join(mps(v) for v in vals)


def ramp_section(doc, extra, plots_rel):
    m = doc["machine"]
    sizes = sorted({r["size"] for r in doc["runs"]})
    nruns = len({r["run"] for r in doc["runs"]})
    main = [r for r in doc["runs"] if r["kind"] == "main"]
    out = ["## Loopback ramp", "",
           "Written by `perf/run.sh` (perf/ramp.py); do not edit by hand.",
           "",
           f"Machine: {m['cpu']}, {m['cpus']} CPUs (KVM guest), Linux "
           f"{m['kernel']}; load average {m['load'][0]:.2f} at the start "
           f"(other engineers build on the same box); {m['date']}. "
           "Sysctls during the run: " + ", ".join(
               f"{k} = {v}" for k, v in m["sysctl"].items()) + ".", "",
           "Method: `sluice run --cores 1` pinned to CPU 1 (taskset; its "
           "query thread shares that core), `sluice bench statsd` (one "
           "sender thread) pinned to CPU 0; over loopback the kernel's "
           "receive path up to the socket buffer runs on the sender's "
           f"CPU. Each step sends {doc['duration_s']:g} s at one offered "
           "rate; received is counted from sluice's /metrics before and "
           "after (`bench --check`, which waits up to 2 s for the counts "
           "to settle), loss = 1 - received / sent. Workload: bench's "
           "default fleet mix, 10,000 series, 4 DogStatsD tags a line "
           f"({line_bytes(main):.0f} bytes a line on average). "
           f"{nruns} run{'s' if nruns > 1 else ''}; figures are medians over the runs, the "
           "per-run values follow in brackets.", "",
           "| datagram | highest loss-free offered rate (loss <= "
           f"{LOSS_FREE_PCT} %), M lines/s | received at `max`, M lines/s |",
           "|---|---|---|"]
    for size in sizes:
        g = group(main, size=size)
        lf, each = loss_free_line(g)
        mx = step_medians(g, ["max"]).get("max", (0, 0, 0, 0))
        out.append(f"| {size} B | **{mps(lf)}** ({each}) | {mps(mx[1])} "
                   f"(offered {mps(mx[0])}, loss {mx[2]:.1f} %) |")
    out += ["", *[f"![loopback ramp, {s}-byte datagrams]"
                  f"({plots_rel}/loopback-{s}.png)" for s in sizes], ""]
    out += ramp_tables(doc, "main", [("sluice", 4)], sizes)
    out += commands(doc)
    out += extra_section(extra)
    return out


def line_bytes(runs):
    return med([s["bytes_per_line"] for r in runs for s in r["steps"]])


def commands(doc):
    srv = next(r["argv"] for r in doc["runs"] if r["server"] == "sluice")
    bench = " ".join(doc["bench_argv"])
    return ["Commands (ports are picked free at run time):", "", "```",
            "perf/run.sh            # all of it; --quick: 1 run, 2 sizes",
            " ".join(srv),
            bench.replace("--datagram-bytes 0", "--datagram-bytes SIZE")
                 .replace("--tags 0", "--tags 4"), "```", ""]


def extra_section(extra):
    if not extra:
        return []
    out = ["### Same run: parser and import", ""]
    if extra.get("commands"):
        out += ["Commands:", "", "```", extra["commands"].rstrip(), "```",
                ""]
    for title, key in (("Parser (`perf/bench_statsd_parse`)", "parse"),
                       ("SIMD kernels (`perf/bench_simd`)", "simd")):
        if extra.get(key):
            out += [f"{title}; the sections above explain the columns:", "",
                    "```", extra[key].rstrip(), "```", ""]
    imp = extra.get("import")
    if imp and imp["nostore"]:
        out += [f"`sluice import` of a fleet-like file ({imp['file']}), "
                "one shard pinned to CPU 1, median of "
                f"{len(imp['nostore'])} runs:", "",
                "| mode | points/s (median) | runs |", "|---|---|---|"]
        for mode in ("nostore", "store"):
            v = imp.get(mode) or []
            out.append(f"| {'--no-store' if mode == 'nostore' else 'store'}"
                       f" | {mps(med(v))} M | "
                       + ", ".join(mps(x) for x in v) + " |")
        out.append("")
    return out


def exact_check(runs):
    """Whether statsite's count matched the accepted lines at the lowest
    step of every run: the check of accepted_without_d."""
    low = [r["steps"][0] for r in runs if r["server"] == "statsite"]
    same = sum(1 for s in low if s["received"] == s["sent"])
    return (f"at the lowest step statsite counted exactly that many lines "
            f"in {same} of {len(low)} ramps")


def peer_section(doc):
    peer = doc.get("statsite")
    runs = [r for r in doc["runs"] if r["kind"] == "peer"]
    out = ["## Peers", ""]
    if not peer or not runs:
        return out + ["Not measured in this run (give `perf/run.sh "
                      "--statsite PATH`).", ""]
    sizes = sorted({r["size"] for r in runs})
    out += [
        f"statsite {peer['version']} (`{peer['path']}`), against sluice in "
        "the same runs, one after the other at each datagram size, both "
        "pinned to CPU 1 with one server thread core, same sender on CPU 0, "
        "same steps. Workload: bench's mix without tags (`--tags 0`: the "
        f"host is in the metric name, {line_bytes(runs):.0f} bytes a line "
        "on average), since statsite has no DogStatsD "
        "tags. statsite does not know the `d` type (10 % of bench's "
        "series): those lines are not counted as sent to it (the exact "
        "count follows from bench's pool, see `accepted_without_d` in "
        f"perf/ramp.py; {exact_check(runs)}). "
        "statsite's received count is its own `input_counter` (one per "
        "parsed line), flushed every second through `stream_cmd = cat >> "
        "FILE`; its SO_RCVBUF is set to 8 MiB like sluice's "
        "(`udp_rcvbuf`), both capped by net.core.rmem_max. statsite flushes "
        "10,000 aggregated series a second through the sink as it does in "
        "production; sluice seals blocks and writes segments.", "",
        "| datagram | sluice loss-free M lines/s | statsite loss-free "
        "M lines/s | ratio sluice/statsite (median of per-run ratios) |",
        "|---|---|---|---|"]
    for size in sizes:
        s = sorted(group(runs, server="sluice", size=size),
                   key=lambda r: r["run"])
        p = sorted(group(runs, server="statsite", size=size),
                   key=lambda r: r["run"])
        ratios = [a["loss_free"] / b["loss_free"] if b["loss_free"] else 0
                  for a, b in zip(s, p)]
        out.append(f"| {size} B | {mps(loss_free_line(s)[0])} "
                   f"({loss_free_line(s)[1]}) | {mps(loss_free_line(p)[0])}"
                   f" ({loss_free_line(p)[1]}) | **{med(ratios):.2f}x** ("
                   + ", ".join(f"{x:.2f}" for x in ratios) + ") |")
    out.append("")
    out += ramp_tables(doc, "peer", [("sluice", 0), ("statsite", 0)], sizes)
    st = next(r["argv"] for r in runs if r["server"] == "statsite")
    out += ["statsite command (config written by ramp.py: `port = 0`, "
            "`udp_port`, `bind_address = 127.0.0.1`, `flush_interval = 1`, "
            "`udp_rcvbuf = 8388608`, `input_counter`, `stream_cmd`):", "",
            "```", " ".join(st), "```", "",
            "How the peer was built (outside this repository; nothing of "
            "statsite is committed here): the statsite/statsite GitHub "
            "repository at commit bf68fa2 (v0.8.1), "
            "`git archive HEAD | tar x -C /tmp/peers`, then "
            "`apt-get install autoconf automake libtool`, "
            "`./autogen.sh && ./configure && make` (its default -O3), and "
            "`perf/run.sh --statsite /tmp/peers/statsite/statsite`.", "",
            "Note on 8 KiB datagrams: statsite reads UDP into a 64 KiB "
            "buffer and keeps reading while more than 1500 bytes are free "
            "(src/networking.c); a datagram larger than the room left is "
            "truncated by recv(), and its tail lines are lost. sluice "
            "receives each datagram into a buffer of 64 KiB.", ""]
    silent = [r for r in runs if r["server"] == "statsite"
              and r["steps"][-1]["rate"] == "max"
              and r["steps"][-1]["received"] == 0]
    if silent:
        out += [f"In {len(silent)} `max` step(s) ("
                + ", ".join(f"{r['size']} B, run {r['run'] + 1}"
                            for r in silent)
                + ") statsite's counter reported no line within 10 s of the "
                "end of the flood (no flush arrived); this touches only "
                "the `max` rows, not the loss-free rates.", ""]
    return out


def splice(path, lines):
    """Replace the text between BEGIN and END (appended if absent)."""
    with open(path) as f:
        text = f.read()
    block = "\n".join([BEGIN, "", *lines, END]) + "\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    with open(path, "w") as f:
        f.write(text)


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def import_rates(path):
    """points/s of each `sluice import` summary line in path."""
    return [float(l.split("points/s ")[1].split()[0])
            for l in read_text(path).splitlines() if "points/s " in l]


def load_extra(res):
    """Parser, SIMD and import outputs that perf/run.sh left in res."""
    if not res:
        return None
    simd = read_text(os.path.join(res, "simd.txt")).split("| numbers")[0]
    fleet = read_text(os.path.join(res, "fleet.txt")).strip()
    return {"parse": read_text(os.path.join(res, "parse.txt")),
            "commands": "\n".join(dict.fromkeys(read_text(os.path.join(
                res, "commands.txt")).splitlines())),
            "simd": simd,
            "import": {"file": fleet or "generated by perf/ramp.py dump",
                       "nostore": import_rates(os.path.join(
                           res, "import-nostore.txt")),
                       "store": import_rates(os.path.join(
                           res, "import-store.txt"))}}


def cmd_report(args):
    if args.tuning and args.readme:
        with open(args.tuning) as f:
            tuning_table(json.load(f), args.readme)
    if not args.ramp:
        return 0
    with open(args.ramp) as f:
        doc = json.load(f)
    datadir = os.path.dirname(os.path.abspath(args.ramp))
    labels = doc["rates"].split(",")
    for size in sorted({r["size"] for r in doc["runs"]}):
        series = [("sluice (4 tags)", step_medians(
            group(doc["runs"], kind="main", size=size), labels))]
        for srv in ("sluice", "statsite"):
            g = group(doc["runs"], kind="peer", server=srv, size=size)
            if g:
                series.append((f"{srv} (untagged)", step_medians(g, labels)))
        gnuplot(os.path.join(args.plots, f"loopback-{size}.png"),
                f"loopback ramp, {size}-byte datagrams, one server core "
                "(medians)", series, datadir)
    plots_rel = os.path.relpath(args.plots,
                                os.path.dirname(os.path.abspath(args.results)))
    lines = ramp_section(doc, load_extra(args.extra), plots_rel)
    splice(args.results, lines + peer_section(doc))
    return 0


TUNING_ROWS = [  # README row: (setting in the JSON or None, text)
    ("net.core.rmem_max", "net.core.rmem_max"),
    ("net.core.netdev_max_backlog", "net.core.netdev_max_backlog"),
    ("net.core.busy_poll", "net.core.busy_poll / busy_read"),
    (None, "governor"), (None, "IRQ / RPS one to one"),
]
NOT_MEASURED = {
    "governor": "| governor | schedutil → performance | not measured | not "
                "measured | this KVM guest has no cpufreq (no "
                "scaling_governor) |",
    "IRQ / RPS one to one": "| IRQ / RPS one to one | irqbalance → pinned | "
                            "not measured | not measured | NIC only: the "
                            "benchmark box has loopback only |",
}


def tuning_cell(rows, setting, which, size):
    g = [r for r in rows if r["setting"] == setting and r["which"] == which
         and r["size"] == size]
    return med([r["loss_free"] for r in g]), g


def tuning_table(doc, readme):
    rows, sizes = doc["rows"], sorted({r["size"] for r in doc["rows"]})
    table = ["| setting | stock → tuned | loss-free lines/s before | after "
             "| notes |", "|---|---|---|---|---|"]
    for setting, text in TUNING_ROWS:
        if setting is None:
            table.append(NOT_MEASURED[text])
            continue
        stock, g = tuning_cell(rows, setting, "stock", sizes[0])
        vals = {w: next(r["value"] for r in rows if r["setting"] == setting
                        and r["which"] == w) for w in ("stock", "tuned")}
        before = ", ".join(f"{s} B: {mps(tuning_cell(rows, setting, 'stock', s)[0])}M"
                           for s in sizes)
        after = ", ".join(f"{s} B: {mps(tuning_cell(rows, setting, 'tuned', s)[0])}M"
                          for s in sizes)
        n = len({r["run"] for r in g})
        table.append(f"| {text} | {vals['stock']} → {vals['tuned']} | "
                     f"{before} | {after} | loopback, median of {n} "
                     f"run{'s' if n > 1 else ''}; the others as the box had "
                     f"them ({tuning_others(doc, setting)}) |")
    replace_table(readme, table)


def tuning_others(doc, setting):
    mine = doc["sysctls"][setting]
    return ", ".join(f"{k.split('.')[-1]} {v}" for k, v in doc["saved"].items()
                     if k not in mine)


def replace_table(readme, table):
    """Swap the first table after the MEASUREMENTS comment."""
    with open(readme) as f:
        lines = f.read().split("\n")
    i = next(k for k, l in enumerate(lines) if l.startswith(MEASURE_MARK))
    while not lines[i].rstrip().endswith("-->"):
        i += 1
    start = next(k for k in range(i, len(lines)) if lines[k].startswith("|"))
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    lines[start:end] = table
    with open(readme, "w") as f:
        f.write("\n".join(lines))
