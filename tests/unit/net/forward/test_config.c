/*
 * tests/unit/net/forward/test_config.c - target URLs, target ids and the
 * --remote-write options: what is taken, what is refused and why.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "net/forward/forward.h"

static struct net_fwd_url u;
static char err[512];

static int parse(const char *s) { return net_fwd_url_parse(s, &u, err, sizeof(err)); }

Test(url, plain_and_tls_with_defaults) {
  cr_assert_eq(parse("http://127.0.0.1:8428/api/v1/write"), 0);
  cr_assert_eq(u.tls, 0);
  cr_assert_str_eq(u.host, "127.0.0.1");
  cr_assert_eq(u.port, 8428);
  cr_assert_str_eq(u.path, "/api/v1/write");
  cr_assert_str_eq(u.authority, "127.0.0.1:8428");
  cr_assert_eq(parse("HTTPS://mimir.example.com/api/v1/push?x=1"), 0);
  cr_assert_eq(u.tls, 1);
  cr_assert_eq(u.port, 443);
  cr_assert_str_eq(u.path, "/api/v1/push?x=1");
  cr_assert_str_eq(u.authority, "mimir.example.com");
  cr_assert_eq(parse("http://h"), 0);
  cr_assert_eq(u.port, 80);
  cr_assert_str_eq(u.path, "/");
  cr_assert_eq(parse("http://h?q"), 0);
  cr_assert_str_eq(u.path, "/?q");
}

Test(url, ipv6) {
  cr_assert_eq(parse("http://[::1]:9090/api/v1/write"), 0);
  cr_assert_str_eq(u.host, "::1");
  cr_assert_eq(u.port, 9090);
  cr_assert_str_eq(u.authority, "[::1]:9090");
  cr_assert_eq(parse("http://[::1]/w"), 0);
  cr_assert_eq(u.port, 80);
  cr_assert_eq(parse("http://[::1/w"), -EINVAL);
  cr_assert_eq(parse("http://[::1]x/w"), -EINVAL);
}

Test(url, refused_with_a_reason) {
  static const char *const bad[] = {
      "ftp://h/", "h:80/w", "http://", "http:///w", "http://h:0/",
      "http://h:65536/", "http://h:8x/", "http://h:/", "http://u:p@h/w",
      "http://h/a b", "http://h/w#frag", "http://h\x01/", "http://h/\x7f",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    err[0] = '\0';
    cr_assert_eq(parse(bad[i]), -EINVAL, "%s is refused", bad[i]);
    cr_assert_neq(err[0], '\0', "%s: a reason", bad[i]);
  }
  cr_assert_eq(parse("http://u:p@h/w"), -EINVAL);
  cr_assert(strstr(err, "--remote-write-basic-auth") != NULL);
}

Test(url, too_long_is_refused) {
  char big[NET_FWD_URL_BYTES_MAX + 16];

  memset(big, 'a', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  memcpy(big, "http://h/", 9);
  cr_assert_eq(parse(big), -EINVAL);
}

Test(url, target_ids) {
  char id[NET_FWD_ID_BYTES_MAX];

  cr_assert_eq(parse("http://127.0.0.1:8428/api/v1/write"), 0);
  net_fwd_target_id(&u, id, sizeof(id));
  cr_assert_str_eq(id, "127.0.0.1_8428_api_v1_write");
  cr_assert_eq(parse("https://[::1]/"), 0);
  net_fwd_target_id(&u, id, sizeof(id));
  cr_assert_str_eq(id, "__1_443");
  cr_assert_eq(parse("http://h/very/long/path/that/goes/on/and/on/and/on/"
                     "and/on/and/on/and/on/and/on/and/on/and/on/and/on/"
                     "and/on"), 0);
  net_fwd_target_id(&u, id, sizeof(id));
  cr_assert_eq(strlen(id), NET_FWD_ID_BYTES_MAX - 1);
}

static struct net_fwd_config c;

static int set(const char *name, const char *val) {
  err[0] = '\0';
  return net_fwd_config_set(&c, name, val, err, sizeof(err));
}

Test(options, per_target_options_follow_their_url) {
  char show[512];

  net_fwd_config_defaults(&c);
  cr_assert_eq(c.batch_samples, NET_FWD_BATCH_SAMPLES_DEFAULT);
  cr_assert_eq(set("remote-write-header", "X-A: 1"), -EINVAL);
  cr_assert(strstr(err, "before any --remote-write") != NULL);
  cr_assert_eq(set("remote-write", "http://a:1/w"), 0);
  cr_assert_eq(set("remote-write-header", "X-Scope-OrgID: t1"), 0);
  cr_assert_eq(set("remote-write-bearer-token-file", "/etc/tok"), 0);
  cr_assert_eq(set("remote-write", "https://b/w"), 0);
  cr_assert_eq(set("remote-write-basic-auth", "user:/etc/pw"), 0);
  cr_assert_eq(set("remote-write-ca-file", "/etc/ca.pem"), 0);
  cr_assert_eq(c.count, 2);
  cr_assert_eq(c.t[0].header_count, 1);
  cr_assert_str_eq(c.t[0].headers[0], "X-Scope-OrgID: t1");
  cr_assert_str_eq(c.t[0].bearer_file, "/etc/tok");
  cr_assert_str_eq(c.t[1].basic_user, "user");
  cr_assert_str_eq(c.t[1].basic_pass_file, "/etc/pw");
  cr_assert_str_eq(c.t[1].ca_file, "/etc/ca.pem");
  cr_assert_eq(c.t[1].header_count, 0);
  cr_assert_eq(net_fwd_config_show(&c, "remote-write", show, sizeof(show)), 0);
  cr_assert_str_eq(show, "http://a:1/w https://b/w");
  cr_assert_eq(net_fwd_config_show(&c, "remote-write-header", show,
                                   sizeof(show)), 0);
  cr_assert(strstr(show, "t1") == NULL, "header values are not shown");
  cr_assert_eq(net_fwd_config_show(&c, "max-series", show, sizeof(show)),
               -ENOENT);
}

Test(options, refused) {
  net_fwd_config_defaults(&c);
  cr_assert_eq(set("remote-write", "nope"), -EINVAL);
  cr_assert_eq(c.count, 0);
  cr_assert_eq(set("remote-write", "http://a/w"), 0);
  cr_assert_eq(set("remote-write-header", "NoColon"), -EINVAL);
  cr_assert_eq(set("remote-write-header", "Bad Name: v"), -EINVAL);
  cr_assert_eq(set("remote-write-header", "X: a\nb"), -EINVAL);
  cr_assert_eq(set("remote-write-header", "content-type: x"), -EINVAL);
  cr_assert(strstr(err, "set by sluice") != NULL);
  cr_assert_eq(set("remote-write-basic-auth", "nofile"), -EINVAL);
  cr_assert_eq(set("remote-write-basic-auth", ":/f"), -EINVAL);
  cr_assert_eq(set("remote-write-batch-samples", "0"), -EINVAL);
  cr_assert_eq(set("remote-write-batch-samples", "5000"), 0);
  cr_assert_eq(c.batch_samples, 5000);
  cr_assert_eq(set("remote-write-batch-age-ms", "60001"), -EINVAL);
  cr_assert_eq(set("remote-write-batch-age-ms", "-1"), -EINVAL);
  cr_assert_eq(set("remote-write-frobnicate", "1"), -ENOENT);
  cr_assert_eq(set("retention", "1"), -ENOENT);
  for (int i = 1; i < NET_FWD_TARGETS_MAX; i++)
    cr_assert_eq(set("remote-write", "http://a/w"), 0);
  cr_assert_eq(set("remote-write", "http://a/w"), -EINVAL);
  for (int i = 0; i < NET_FWD_HEADERS_MAX; i++)
    cr_assert_eq(set("remote-write-header", "X-N: v"), 0);
  cr_assert_eq(set("remote-write-header", "X-N: v"), -EINVAL);
}

Test(options, forward_syslog) {
  char show[256];

  net_fwd_config_defaults(&c);
  cr_assert_eq(set("forward-syslog", "127.0.0.1:514"), 0);
  cr_assert_eq(set("forward-syslog", "[::1]:6514"), 0);
  cr_assert_eq(c.syslog_count, 2);
  cr_assert_eq(c.count, 0, "not a remote-write target");
  cr_assert_eq(set("forward-syslog", "host"), -EINVAL);
  cr_assert(strstr(err, "HOST:PORT") != NULL);
  cr_assert_eq(set("forward-syslog", "h:0"), -EINVAL);
  cr_assert_eq(set("forward-syslog", "a b:1"), -EINVAL);
  cr_assert_eq(net_fwd_config_show(&c, "forward-syslog", show, sizeof(show)),
               0);
  cr_assert_str_eq(show, "127.0.0.1:514 [::1]:6514");
}
