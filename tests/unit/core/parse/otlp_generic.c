/*
 * tests/unit/core/parse/otlp_generic.c - the OTLP protobuf decoders
 * without their fast paths (see otlp_generic.h): the same sources, with
 * OTLP_FAST 0 and their external names prefixed so that they link beside
 * the library's.
 */
#define OTLP_FAST 0
#define core_otlp_metrics_decode gen_otlp_metrics_decode
#define core_otlp_logs_decode gen_otlp_logs_decode
#define core_otlp_traces_decode gen_otlp_traces_decode
#define otlp_id gen_otlp_id
#define otlp_any gen_otlp_any
#define otlp_attr_slow gen_otlp_attr_slow
#define otlp_walk gen_otlp_walk

#include "tests/unit/core/parse/otlp_generic.h"

#include "core/parse/otlp.c"
#include "core/parse/otlp_logs.c"
#include "core/parse/otlp_metrics.c"
