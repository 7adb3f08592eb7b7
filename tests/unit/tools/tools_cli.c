/*
 * tests/unit/tools/tools_cli.c - runs the tools' entry points as a program
 * (`tools_cli bench|tune|stats ARGS`), for tests and manual runs until
 * core/main.c dispatches them as `sluice bench|tune|stats`.
 */
#include <stdio.h>
#include <string.h>

#include "tools/tools.h"

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "bench") == 0)
    return tools_bench_main(argc - 1, argv + 1);
  if (argc >= 2 && strcmp(argv[1], "tune") == 0)
    return tools_tune_main(argc - 1, argv + 1);
  if (argc >= 2 && strcmp(argv[1], "stats") == 0)
    return tools_stats_main(argc - 1, argv + 1);
  fputs("usage: tools_cli bench|tune|stats [ARG]...\n", stderr);
  return 2;
}
