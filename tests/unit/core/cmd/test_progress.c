/*
 * tests/unit/core/cmd/test_progress.c - the progress line of `sluice
 * import`: its text, and silence when the stream is not a terminal.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cmd/progress.h"

Test(progress, line_text) {
  char buf[160];
  core_progress_format(buf, sizeof(buf), "import", 3ull << 29, 4ull << 30,
                       2.0);
  cr_assert_str_eq(buf, "import: 1.50 GiB of 4.00 GiB (38%), 768.00 MiB/s");
  core_progress_format(buf, sizeof(buf), "import", 0, 0, 0);
  cr_assert_str_eq(buf, "import: 0 B of 0 B (100%), 0 B/s");
  core_progress_format(buf, sizeof(buf), "import", 512, 2048, 1.0);
  cr_assert_str_eq(buf, "import: 512 B of 2.00 KiB (25%), 512 B/s");
}

Test(progress, not_a_terminal_draws_nothing) {
  struct core_progress p;
  size_t len;
  char *out;
  FILE *f = open_memstream(&out, &len);
  core_progress_init(&p, "import", 100, f);
  cr_assert_null(p.out, "a memory stream is no terminal");
  core_progress_add(&p, 60);
  core_progress_add(&p, 40);
  core_progress_add(NULL, 1);
  cr_assert_eq(p.done, 100);
  core_progress_draw(&p);
  core_progress_clear(&p);
  fclose(f);
  cr_assert_eq(len, 0, "wrote \"%s\"", out);
  free(out);
}
