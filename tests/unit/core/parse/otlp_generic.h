/*
 * tests/unit/core/parse/otlp_generic.h - the OTLP protobuf decoders built
 * once more with OTLP_FAST 0 (otlp_generic.c): the field by field reading
 * alone, the reference the fast paths of core/parse/otlp*.c must agree
 * with (same results, same reasons, same items handed out). Test-only.
 */
#ifndef SLUICE_TESTS_OTLP_GENERIC_H
#define SLUICE_TESTS_OTLP_GENERIC_H

#include <stddef.h>

#include "core/parse/otlp_types.h"

/* As core_otlp_{metrics,logs,traces}_decode, without the fast paths. */
int gen_otlp_metrics_decode(const void *buf, size_t len,
                            struct core_otlp_scratch *s,
                            const struct core_otlp_sink *sink,
                            const char **why);
int gen_otlp_logs_decode(const void *buf, size_t len,
                         struct core_otlp_scratch *s,
                         const struct core_otlp_sink *sink, const char **why);
int gen_otlp_traces_decode(const void *buf, size_t len,
                           struct core_otlp_scratch *s,
                           const struct core_otlp_sink *sink, const char **why);

#endif
