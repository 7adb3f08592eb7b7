/*
 * core/parse/otlp_json.h - decoders of the OTLP v1 Export*ServiceRequest
 * in the OTLP JSON encoding (the protobuf JSON mapping as OTLP specifies
 * it), into the same sink, callbacks and items as the protobuf decoders
 * (core/parse/otlp.h): the layers above see the same thing for both.
 *
 * Accepted: RFC 8259 JSON, strictly (no trailing commas, no comments,
 * valid UTF-8, paired surrogates in \u escapes, nothing after the value);
 * lowerCamelCase field names and the proto field names; trace and span ids
 * as hex (either case, exact length, "" for absent); 64-bit integers as
 * numbers or decimal strings (a fraction or exponent only where the value
 * is whole: "1e3"); enums by name or number; doubles as numbers or strings,
 * "NaN", "Infinity", "-Infinity"; bytesValue as base64 (standard or URL
 * alphabet, padding optional); null for absent; unknown fields skipped.
 * Refused (-EBADMSG): malformed JSON, a known field of the wrong type, a
 * field sent twice, two members of a oneof, a number out of its field's
 * range, bad hex or base64, an unknown enum name. Bounds: the CORE_OTLP_*
 * of the protobuf decoders and CORE_OTLP_JSON_DEPTH_MAX nested JSON
 * values (-E2BIG). *why then holds a short static reason.
 *
 * One pass over each level; a level's children are read in place when
 * the level's own fields came before them (as every SDK sends them), else
 * skipped and read after the level (a second pass over those bytes).
 */
#ifndef SLUICE_CORE_PARSE_OTLP_JSON_H
#define SLUICE_CORE_PARSE_OTLP_JSON_H

#include <stddef.h>

#include "core/parse/otlp_json_types.h"
#include "core/parse/otlp_types.h"

/*
 * Give the decoders bytes of memory at mem as their arena (no less than
 * CORE_OTLP_JSON_ARENA_BYTES(body bound) for no body within the bound to
 * fail on it). Never fails.
 */
void core_otlp_json_scratch_init(struct core_otlp_jscratch *js, void *mem,
                                 size_t bytes);

/*
 * Decode an ExportMetricsServiceRequest in JSON of len bytes at buf:
 * sink->point per data point, exactly as core_otlp_metrics_decode.
 *   s    the caller's scratch (attributes and buckets of the current point)
 *   js   the caller's arena (emptied first; what it holds stays valid
 *        until the next decode with it)
 *   why  set to a static reason on failure, NULL on success
 * Returns 0, -EBADMSG (malformed), -E2BIG (over a bound, or the arena
 * full), or a callback's non-zero return. Items handed out before an
 * error stay handed out.
 */
int core_otlp_json_metrics_decode(const void *buf, size_t len,
                                  struct core_otlp_scratch *s,
                                  struct core_otlp_jscratch *js,
                                  const struct core_otlp_sink *sink,
                                  const char **why);

/* An ExportLogsServiceRequest in JSON: sink->log per log record.
 * Arguments and returns as core_otlp_json_metrics_decode. */
int core_otlp_json_logs_decode(const void *buf, size_t len,
                               struct core_otlp_scratch *s,
                               struct core_otlp_jscratch *js,
                               const struct core_otlp_sink *sink,
                               const char **why);

/* An ExportTraceServiceRequest in JSON: sink->span per span, then
 * sink->event and sink->link per event and link of it, in the order of
 * the span's "events" and "links" keys. Arguments and returns as
 * core_otlp_json_metrics_decode. */
int core_otlp_json_traces_decode(const void *buf, size_t len,
                                 struct core_otlp_scratch *s,
                                 struct core_otlp_jscratch *js,
                                 const struct core_otlp_sink *sink,
                                 const char **why);

#endif
