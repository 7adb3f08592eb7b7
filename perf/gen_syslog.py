#!/usr/bin/env python3
"""Write a syslog corpus: a fleet's RFC 3164 / RFC 5424 mix, one message a
line (LF framing, RFC 6587 non-transparent: what `logger -n --tcp` and
rsyslog's omfwd send), for `sluice import --proto syslog` and for gzip /
zstd of the same bytes (perf/RESULTS.md, "Log blocks v2").

What makes it a fleet rather than noise: 60 hosts in four roles (web,
db, k8s worker, bastion), each sending one format (rsyslog forwarders
send 5424, older boxes and appliances 3164); per role its own programs
with stable pids that change rarely (restarts); messages from templates
a program really prints (sshd, nginx access lines, haproxy, postgres,
kernel UFW and OOM lines, systemd units, CRON, sudo, kubelet, containerd,
a JSON app log and a logfmt app log with request and trace ids, rare
multi-kilobyte stack traces); variables drawn the way they vary in
life (client IPs from a few subnets with Zipf-skewed popularity, URL
paths from a route table with numeric ids, durations log-normal, status
codes mostly 200). Event time advances at --rate messages/s with jitter;
5424 hosts send microsecond timestamps and structured data on some
records. Fixed seed: the same arguments write the same bytes.

usage: perf/gen_syslog.py OUT [--count N] [--rate R] [--seed S]
"""
import argparse
import math
import random
import time

MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
       "Nov", "Dec"]
USERS = ["deploy", "root", "alice", "bob", "ci-runner", "backup", "nagios",
         "ansible"]
ROUTES = ["/api/v1/orders/%d", "/api/v1/items/%d", "/api/v1/users/%d/cart",
          "/healthz", "/static/js/app.%x.js", "/login", "/api/v2/search?q=%s",
          "/metrics", "/favicon.ico", "/api/v1/orders/%d/items"]
WORDS = ["shoes", "red", "laptop", "cable", "usb", "garden", "chair", "lamp",
         "book", "phone"]
AGENTS = ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like "
          "Gecko) Chrome/120.0.0.0 Safari/537.36",
          "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15"
          " (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
          "curl/7.88.1", "kube-probe/1.28", "Prometheus/2.42.0",
          "python-requests/2.31.0"]
UNITS = ["nginx.service", "postgresql@15-main.service", "cron.service",
         "logrotate.service", "apt-daily.service", "fstrim.service",
         "sshd.service", "node-exporter.service"]
PODS = ["checkout-7d9f8b6c5-x2k4p", "cart-5c7b9d8f6-q8w2e",
        "frontend-6b8c7d9f5-m3n7r", "payment-84f6d7c9b-t5y6u",
        "redis-0", "kafka-2", "coredns-5d78c9869d-7zjkx"]


class Gen:
    def __init__(self, seed, rate):
        self.r = random.Random(seed)
        self.rate = rate
        self.t = 1795284000.0  # 2026-11-21T...
        self.hosts = []
        roles = ["web"] * 24 + ["db"] * 8 + ["k8s"] * 20 + ["bastion"] * 8
        for i, role in enumerate(roles):
            fmt = 5424 if self.r.random() < 0.5 else 3164
            name = "%s-%02d" % (role, i)
            if fmt == 5424:
                name += ".prod.example.com"
            self.hosts.append({"name": name, "role": role, "fmt": fmt,
                               "seq": self.r.randrange(1000),
                               "pids": {}})
        self.pod_uids = {}
        self.client_nets = ["203.0.113", "198.51.100", "192.0.2", "10.20.%d"]

    def zipf(self, n, s=1.2):
        # rank 0 most popular
        x = self.r.random()
        return min(n - 1, int(n * x ** (1 + s)))

    def ip(self):
        net = self.client_nets[self.zipf(4)]
        if "%d" in net:
            net = net % self.r.randrange(8)
        return "%s.%d" % (net, 1 + self.zipf(254, 0.8))

    def pid(self, h, prog):
        p = h["pids"].get(prog)
        if p is None or self.r.random() < 0.0005:
            p = self.r.randrange(300, 65000)
            h["pids"][prog] = p
        return p

    def pod_uid(self, pod):
        # a pod keeps its UID; the same pod name on two nodes is a replica
        return self.pod_uids.setdefault(pod, self.uuid())

    def container(self, h):
        # a node runs a few dozen containers; their ids repeat
        ids = h.setdefault("containers", [])
        if len(ids) < 30 or self.r.random() < 0.001:
            ids.append(self.r.getrandbits(256))
        return ids[self.zipf(len(ids), 0.5)]

    def dur_ms(self, mu=3.0, sigma=1.0):
        return math.exp(self.r.gauss(mu, sigma))

    def uuid(self):
        return "%08x-%04x-%04x-%04x-%012x" % (
            self.r.getrandbits(32), self.r.getrandbits(16),
            0x4000 | self.r.getrandbits(12), 0x8000 | self.r.getrandbits(14),
            self.r.getrandbits(48))

    def route(self):
        p = ROUTES[self.zipf(len(ROUTES), 0.6)]
        if "%d" in p:
            return p % self.zipf(100000, 2.0)
        if "%x" in p:
            return p % self.r.choice([0x3f2a91c, 0x8b1e442])
        if "%s" in p:
            return p % self.r.choice(WORDS)
        return p

    # -- programs: (app, severity, facility, msgid, text) -----------------
    def web(self, h):
        k = self.r.random()
        if k < 0.62:
            st = 200 if self.r.random() < 0.93 else self.r.choice(
                [301, 304, 404, 404, 500, 502])
            return ("nginx", 6, 16, "access",
                    '%s - - [%s] "%s %s HTTP/1.1" %d %d "-" "%s" rt=%.3f' % (
                        self.ip(), time.strftime(
                            "%d/%b/%Y:%H:%M:%S +0000", time.gmtime(self.t)),
                        self.r.choice(["GET"] * 8 + ["POST", "PUT"]),
                        self.route(), st, int(self.dur_ms(7, 1.5)),
                        AGENTS[self.zipf(len(AGENTS))],
                        self.dur_ms(2.5, 1.2) / 1000))
        if k < 0.80:
            return ("haproxy", 6, 16, "-",
                    "%s:%d [%s] fe_https~ be_app/web%02d %d/0/%d/%d/%d %d %d - "
                    "- ---- %d/%d/%d/%d/0 0/0 \"GET %s HTTP/1.1\"" % (
                        self.ip(), self.r.randrange(32768, 61000),
                        time.strftime("%d/%b/%Y:%H:%M:%S.000",
                                      time.gmtime(self.t)),
                        self.r.randrange(1, 9), self.r.randrange(3),
                        self.r.randrange(2), int(self.dur_ms(3, 1)),
                        int(self.dur_ms(3.5, 1)), 200,
                        int(self.dur_ms(7, 1.5)), self.r.randrange(200, 400),
                        self.r.randrange(100, 200), self.r.randrange(1, 20), 0,
                        self.route()))
        if k < 0.97:
            return self.applog(h)
        return self.common(h)

    def applog(self, h):
        rid = self.uuid()
        trace = "%032x" % self.r.getrandbits(128)
        if self.r.random() < 0.5:
            return ("api", 6, 1, "-",
                    'level=info ts=%s caller=handler.go:%d msg="request '
                    'completed" method=%s path=%s status=%d duration_ms=%.1f '
                    'request_id=%s trace_id=%s' % (
                        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(
                            self.t)), self.r.choice([88, 142, 217]),
                        self.r.choice(["GET", "GET", "POST"]), self.route(),
                        200 if self.r.random() < 0.95 else 500,
                        self.dur_ms(3, 1), rid, trace))
        lvl = "info" if self.r.random() < 0.9 else "warn"
        return ("checkout", 6 if lvl == "info" else 4, 1, "-",
                '{"level":"%s","ts":%.3f,"logger":"checkout.payment","msg":'
                '"%s","order_id":%d,"amount_cents":%d,"currency":"EUR",'
                '"trace_id":"%s","span_id":"%016x"}' % (
                    lvl, self.t, self.r.choice(
                        ["payment authorized", "payment captured",
                         "retrying card network call"]),
                    self.r.randrange(10**6, 10**7),
                    self.r.randrange(100, 50000), trace,
                    self.r.getrandbits(64)))

    def db(self, h):
        k = self.r.random()
        if k < 0.7:
            q = self.r.choice([
                "SELECT * FROM orders WHERE customer_id = %d ORDER BY created_at"
                " DESC LIMIT 20" % self.zipf(500000, 1.5),
                "UPDATE inventory SET qty = qty - %d WHERE sku = 'SKU-%06d'" % (
                    self.r.randrange(1, 5), self.zipf(100000, 1.5)),
                "INSERT INTO events (kind, payload) VALUES ($1, $2)"])
            return ("postgres", 6, 16, "-",
                    "[%d] LOG:  duration: %.3f ms  statement: %s" % (
                        self.pid(h, "pgworker") + self.r.randrange(8),
                        self.dur_ms(1, 1.5), q))
        if k < 0.8:
            return ("postgres", 6, 16, "-",
                    "[%d] LOG:  checkpoint complete: wrote %d buffers (%.1f%%);"
                    " 0 WAL file(s) added, 0 removed, %d recycled; write=%.3f s,"
                    " sync=%.3f s, total=%.3f s" % (
                        self.pid(h, "checkpointer"), self.r.randrange(50, 5000),
                        self.r.random() * 5, self.r.randrange(4),
                        self.r.random() * 30, self.r.random(),
                        self.r.random() * 31))
        return self.common(h)

    def k8s(self, h):
        k = self.r.random()
        pod = PODS[self.zipf(len(PODS))]
        if k < 0.45:
            return ("kubelet", 6, 3, "-",
                    'I1121 %s.%06d    %d prober.go:107] "Probe succeeded" '
                    'probeType="Readiness" pod="default/%s" podUID=%s '
                    'containerName="app"' % (
                        time.strftime("%H:%M:%S", time.gmtime(self.t)),
                        int(self.t * 1e6) % 1000000, self.pid(h, "kubelet"),
                        pod, self.uuid()))
        if k < 0.75:
            return ("containerd", 6, 3, "-",
                    'time="%s" level=info msg="%s" id=%064x namespace=k8s.io' % (
                        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.t)),
                        self.r.choice(["StartContainer for \\\"app\\\" returns "
                                       "successfully", "cleaning up dead shim",
                                       "shim disconnected"]),
                        self.container(h)))
        if k < 0.92:
            return self.applog(h)
        return self.common(h)

    def bastion(self, h):
        k = self.r.random()
        ip, port = self.ip(), self.r.randrange(32768, 61000)
        u = USERS[self.zipf(len(USERS))]
        if k < 0.35:
            return ("sshd", 6, 4, "-",
                    "Accepted publickey for %s from %s port %d ssh2: ED25519 "
                    "SHA256:%s" % (u, ip, port, self.r.choice(
                        ["k3Jd8Qm2vXo9LwTz1aNcPq7sRfYbUe4hGiK0lMn5OpA",
                         "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa9ZyXwVu"])))
        if k < 0.65:
            return ("sshd", 5, 4, "-",
                    "Failed password for invalid user %s from %s port %d ssh2"
                    % (self.r.choice(["admin", "test", "oracle", "ubuntu",
                                      "guest", "user%d" % self.r.randrange(99)]),
                       "%d.%d.%d.%d" % (self.r.randrange(1, 224),
                                        self.r.randrange(256),
                                        self.r.randrange(256),
                                        self.r.randrange(256)), port))
        if k < 0.8:
            return ("sudo", 5, 10, "-",
                    "%s : TTY=pts/%d ; PWD=/home/%s ; USER=root ; COMMAND="
                    "/usr/bin/systemctl restart %s" % (
                        u, self.r.randrange(4), u, self.r.choice(UNITS)))
        return self.common(h)

    def common(self, h):
        k = self.r.random()
        if k < 0.3:
            return ("kernel", 4, 0, "-",
                    "[UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:%02x:%02x:%02x "
                    "SRC=%s DST=10.0.%d.%d LEN=%d TOS=0x00 PREC=0x00 TTL=%d "
                    "ID=%d PROTO=TCP SPT=%d DPT=%d WINDOW=%d RES=0x00 SYN "
                    "URGP=0" % (
                        self.r.randrange(256), self.r.randrange(256),
                        self.r.randrange(256), self.ip(), self.r.randrange(4),
                        self.r.randrange(256), self.r.choice([40, 44, 60]),
                        self.r.randrange(40, 250), self.r.randrange(65536),
                        self.r.randrange(1024, 65536),
                        self.r.choice([22, 23, 445, 3389, 8080]),
                        self.r.choice([1024, 29200, 65535])))
        if k < 0.55:
            unit = self.r.choice(UNITS)
            return ("systemd", 6, 3, "-", self.r.choice([
                "Started %s." % unit, "Starting %s..." % unit,
                "%s: Deactivated successfully." % unit,
                "%s: Consumed %.3fs CPU time." % (unit, self.r.random() * 9)]))
        if k < 0.8:
            return ("CRON", 6, 9, "-",
                    "(%s) CMD (%s)" % (self.r.choice(["root", "backup"]),
                                       self.r.choice([
                                           "/usr/local/bin/backup.sh --incremental",
                                           "test -x /usr/sbin/anacron || ( cd /"
                                           " && run-parts --report "
                                           "/etc/cron.daily )",
                                           "/usr/lib/sysstat/debian-sa1 1 1"])))
        if k < 0.995:
            return ("systemd-logind", 6, 4, "-",
                    "New session %d of user %s." % (
                        self.r.randrange(1, 90000), USERS[self.zipf(8)]))
        frames = "".join(
            "\n\tat com.example.shop.%s.%s(%s.java:%d)" % (
                c, m, c, self.r.randrange(20, 900))
            for c, m in [self.r.choice([("OrderService", "place"),
                                        ("PaymentClient", "charge"),
                                        ("Retry", "run"),
                                        ("HttpClient", "send")])
                         for _ in range(self.r.randrange(20, 80))])
        return ("java", 3, 1, "-",
                "java.net.SocketTimeoutException: Read timed out" + frames)

    def message(self):
        h = self.hosts[self.zipf(len(self.hosts), 0.3)]
        self.t += self.r.expovariate(self.rate)
        app, sev, fac, msgid, text = getattr(self, h["role"])(h)
        pid = self.pid(h, app)
        pri = fac * 8 + sev
        if h["fmt"] == 3164:
            tm = time.gmtime(self.t)
            ts = "%s %2d %s" % (MON[tm.tm_mon - 1], tm.tm_mday,
                                time.strftime("%H:%M:%S", tm))
            if app == "kernel":
                return "<%d>%s %s kernel: %s" % (pri, ts, h["name"], text)
            return "<%d>%s %s %s[%d]: %s" % (pri, ts, h["name"], app, pid,
                                             text)
        us = int(self.t * 1e6)
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(us // 1000000))
        ts += ".%06dZ" % (us % 1000000)
        h["seq"] += 1
        sd = "-"
        if self.r.random() < 0.3:
            sd = '[meta sequenceId="%d"]' % h["seq"]
            if self.r.random() < 0.3:
                sd += '[origin ip="10.0.%d.%d" software="rsyslogd"]' % (
                    len(h["name"]) % 4, 10 + len(h["name"]))
        return "<%d>1 %s %s %s %d %s %s %s" % (pri, ts, h["name"], app, pid,
                                               msgid, sd, text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=1000000)
    ap.add_argument("--rate", type=float, default=2000.0,
                    help="messages a second of event time")
    ap.add_argument("--seed", type=int, default=14)
    a = ap.parse_args()
    g = Gen(a.seed, a.rate)
    with open(a.out, "w", encoding="utf-8") as f:
        for _ in range(a.count):
            # LF framing: a multi-line message keeps its LFs escaped as
            # rsyslog does (#012), so one message stays one line.
            f.write(g.message().replace("\n", "#012") + "\n")


if __name__ == "__main__":
    main()
