/*
 * tests/unit/core/base/test_strbuf.c - the bounded growable buffer.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "core/base/strbuf.h"

Test(strbuf, append_and_grow) {
  struct core_strbuf b;
  int i;

  core_strbuf_init(&b, 1 << 20);
  cr_assert_eq(b.len, 0);
  cr_assert_eq(core_strbuf_append(&b, "", 0), 0);
  cr_assert_str_eq(b.data, "");
  for (i = 0; i < 1000; i++)
    cr_assert_eq(core_strbuf_appendf(&b, "%d,", i), 0);
  cr_assert_eq(b.len, 10 * 2 + 90 * 3 + 900 * 4);
  cr_assert(strncmp(b.data, "0,1,2,", 6) == 0);
  cr_assert_eq(b.data[b.len], '\0');
  cr_assert_not(b.failed);
  core_strbuf_free(&b);
  cr_assert_null(b.data);
  cr_assert_eq(b.len, 0);
  cr_assert_eq(b.max, 1 << 20);
  cr_assert_eq(core_strbuf_append(&b, "again", 5), 0);
  cr_assert_str_eq(b.data, "again");
  core_strbuf_free(&b);
}

Test(strbuf, bound_exact_and_over) {
  struct core_strbuf b;
  char big[600];

  memset(big, 'x', sizeof(big));
  core_strbuf_init(&b, 10);
  cr_assert_eq(core_strbuf_append(&b, "0123456789", 10), 0);
  cr_assert_eq(b.len, 10);
  cr_assert_eq(core_strbuf_append(&b, "a", 1), -ENOMEM);
  cr_assert(b.failed);
  cr_assert_str_eq(b.data, "0123456789");
  /* Once failed, even a fitting append is refused: the content is cut. */
  cr_assert_eq(core_strbuf_append(&b, "", 0), -ENOMEM);
  core_strbuf_free(&b);
  cr_assert_not(b.failed);

  core_strbuf_init(&b, 300);
  cr_assert_eq(core_strbuf_appendf(&b, "%s", "abc"), 0);
  cr_assert_eq(core_strbuf_appendf(&b, "%.*s", 400, big), -ENOMEM);
  cr_assert(b.failed);
  cr_assert_eq(b.len, 3);
  cr_assert_str_eq(b.data, "abc");
  core_strbuf_free(&b);

  /* appendf that needs a second pass to grow, ending exactly at max */
  core_strbuf_init(&b, 600);
  cr_assert_eq(core_strbuf_appendf(&b, "%.*s", 600, big), 0);
  cr_assert_eq(b.len, 600);
  cr_assert_eq(core_strbuf_appendf(&b, "y"), -ENOMEM);
  core_strbuf_free(&b);
}

/* presize grows once and never past max; room hands out space to fill in
 * place, NULL past max without failing the buffer; commit counts it. */
Test(strbuf, presize_room_commit) {
  struct core_strbuf b;
  char *p;

  core_strbuf_init(&b, 100);
  core_strbuf_presize(&b, 1000);
  cr_assert_eq(b.cap, 101);
  cr_assert_str_eq(b.data, "");
  cr_assert_eq(core_strbuf_append(&b, "ab", 2), 0);
  p = core_strbuf_room(&b, 10);
  cr_assert_not_null(p);
  cr_assert_eq(p, b.data + 2);
  memcpy(p, "cdef", 4);
  core_strbuf_commit(&b, 4);
  cr_assert_str_eq(b.data, "abcdef");
  cr_assert_null(core_strbuf_room(&b, 95));
  cr_assert_not(b.failed);
  cr_assert_not_null(core_strbuf_room(&b, 94));
  cr_assert_str_eq(b.data, "abcdef");
  cr_assert_eq(core_strbuf_append(&b, "x", 95), -ENOMEM);
  cr_assert(b.failed);
  cr_assert_null(core_strbuf_room(&b, 1));
  core_strbuf_free(&b);

  core_strbuf_init(&b, 1 << 20);
  cr_assert_eq(core_strbuf_append(&b, "keep", 4), 0);
  core_strbuf_presize(&b, 5000);
  cr_assert_geq(b.cap, 5005);
  cr_assert_str_eq(b.data, "keep");
  core_strbuf_free(&b);
}
