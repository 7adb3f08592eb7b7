/*
 * storage/spanblock_types.h - the span block (kind 3) of a segment.
 *
 * Same 64-byte header frame as the other kinds (storage/block_types.h:
 * magic, version, kind, shard, count, seq, header check, min/max time,
 * payload bytes, CRC32C at the same offsets, computed the same way); the
 * fields that differ are:
 *
 *   off size field
 *   5   1    kind = STOR_KIND_SPANS (3)
 *   8   4    span count N (1 .. STOR_SPANBLOCK_SPANS_MAX)
 *   12  4    inflated stream bytes U (<= STOR_SPANBLOCK_TEXT_BYTES_MAX)
 *   24  8    min span start time, ns since the epoch (signed)
 *   32  8    max span start time, ns
 *   44  4    string table entries D (<= STOR_SPANBLOCK_DICT_MAX)
 *   48  4    string table bytes T: the first T bytes of the inflated stream
 *   52  4    trace table entries M (1 .. N): distinct trace ids
 *   56  4    deflated stream bytes C
 *
 * The payload is, in this order and L = 16 M + 8 N + C exactly:
 *   trace table  M raw 16-byte trace ids, in first-use order (a trace id
 *                lookup reads only this: no inflate when it is absent)
 *   span ids     N raw 8-byte span ids, in span order
 *   stream       raw DEFLATE (C bytes) of U bytes: the string table (T
 *                bytes, D entries: varint length 1..255 and the bytes),
 *                the STOR_SCOLS sub-column lengths (varints), the
 *                sub-columns, then the inline text
 * Layouts are in docs/segment-format.md ("Span blocks").
 */
#ifndef SLUICE_STORAGE_SPANBLOCK_TYPES_H
#define SLUICE_STORAGE_SPANBLOCK_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/parse/otlp_types.h"
#include "storage/zcol_types.h"

#define STOR_SHDR_OFF_TEXT_BYTES 12
#define STOR_SHDR_OFF_DICT_COUNT 44
#define STOR_SHDR_OFF_DICT_BYTES 48
#define STOR_SHDR_OFF_TRACES 52
#define STOR_SHDR_OFF_ZTEXT_BYTES 56

#define STOR_TRACE_ID_BYTES 16
#define STOR_SPAN_ID_BYTES 8
#define STOR_SPANBLOCK_DICT_STR_BYTES_MAX 255 /* longer strings stay inline */
/* Values (attribute values, status messages, trace states) up to this
 * long would go to the string table; they all stay inline, deflate finds
 * their repeats. Measured on perf/bench_spanblock's spans: table-coding
 * values of up to 16, 32, 64 bytes stored 29.1, 29.5, 30.8 bytes a span
 * against 29.9 inline, and encoded at 0.6x the speed or less. Keys, names
 * and scopes are table-coded. */
#define STOR_SPAN_DICT_VALUE_BYTES_MAX 0

/*
 * A string ref (varint): 0 empty, 1 inline (the next string of the text:
 * varint length >= 1 and the bytes), k >= 2 string table entry k - 2.
 * A parent ref (varint): 0 none (a root span), 1 the next 8 bytes of the
 * parent sub-column, k >= 2 the span id of span k - 2 of this block.
 */
enum {
  STOR_SREF_EMPTY = 0,
  STOR_SREF_INLINE = 1,
  STOR_SREF_DICT0 = 2,
};

/* The stream's sub-columns, in stream order. */
enum stor_scol {
  STOR_SCOL_TRACE,     /* varint: trace table index */
  STOR_SCOL_PARENT,    /* parent ref (+ 8 raw bytes when 1) */
  STOR_SCOL_START,     /* svarint: start - previous start (first: - min) */
  STOR_SCOL_DUR,       /* svarint: end - start */
  STOR_SCOL_KIND,      /* varint SpanKind */
  STOR_SCOL_STATUS,    /* varint status code */
  STOR_SCOL_FLAGS,     /* varint */
  STOR_SCOL_NAME,      /* ref */
  STOR_SCOL_STATUS_MSG,/* ref */
  STOR_SCOL_STATE,     /* ref: W3C trace state */
  STOR_SCOL_RES,       /* varint: resource table index */
  STOR_SCOL_ATTRS,     /* attribute list */
  STOR_SCOL_EVENTS,    /* varint count; per event: svarint time - start,
                          name ref, attribute list */
  STOR_SCOL_LINKS,     /* varint count; per link: 16 + 8 raw id bytes,
                          trace state ref, varint flags, attribute list */
  STOR_SCOL_RESOURCES, /* varint R; per resource: scope name ref, scope
                          version ref, attribute list */
  STOR_SCOLS
};
/* An attribute list: varint count, then per attribute a key ref, a type
 * byte (enum core_otlp_vtype) and the value: string, bytes, array, kvlist
 * a ref (arrays and kvlists as their protobuf bytes); int an svarint;
 * bool one byte 0/1; double 8 bytes (IEEE-754, little-endian); none
 * nothing. */

/* Resource and scope of spans: one entry a block per distinct one. */
struct stor_span_res {
  struct core_otlp_attrs attrs;
  struct core_otlp_str scope_name, scope_version;
  struct core_otlp_str service;  /* the string value of attrs'
                                    service.name, derived, not stored */
};

struct stor_span_event {
  int64_t time_ns;
  struct core_otlp_str name;
  struct core_otlp_attrs attrs;
};

struct stor_span_link {
  uint8_t trace_id[STOR_TRACE_ID_BYTES];
  uint8_t span_id[STOR_SPAN_ID_BYTES];
  struct core_otlp_str trace_state;
  uint32_t flags;
  struct core_otlp_attrs attrs;
};

/*
 * One span as handed to the encoder and as returned by the reader.
 * Strings are pointer + length (len 0: empty). Times are OTLP's unsigned
 * ns kept as int64 (two's complement: the bits round-trip).
 */
struct stor_span {
  uint8_t trace_id[STOR_TRACE_ID_BYTES];
  uint8_t span_id[STOR_SPAN_ID_BYTES];
  uint8_t parent_id[STOR_SPAN_ID_BYTES];
  bool has_parent;
  uint32_t kind;            /* SpanKind (0 unspecified .. 5 consumer) */
  uint32_t status_code;     /* 0 unset, 1 ok, 2 error */
  uint32_t flags;
  int64_t start_ns, end_ns;
  struct core_otlp_str name, status_message, trace_state;
  struct core_otlp_attrs attrs;
  const struct stor_span_event *events;
  uint32_t event_count;
  const struct stor_span_link *links;
  uint32_t link_count;
  const struct stor_span_res *res;  /* encoder: an entry of its res array */
};

/* A span block header, decoded. */
struct stor_spanblock_hdr {
  uint8_t version, kind;
  uint16_t shard;
  uint32_t count;          /* N */
  uint32_t text_bytes;     /* U */
  uint64_t seq;
  int64_t min_ns, max_ns;  /* span start times */
  uint32_t payload_bytes;  /* L */
  uint32_t dict_count;     /* D */
  uint32_t dict_bytes;     /* T */
  uint32_t trace_count;    /* M */
  uint32_t ztext_bytes;    /* C */
};

/* Encoder scratch, allocated at stor_spanenc_init: encoding allocates
 * nothing. */
struct stor_spanenc {
  uint32_t spans_max;
  struct stor_ztab tab;            /* string table */
  struct stor_ztab traces;         /* trace ids, as 16-byte strings */
  struct stor_ztab ids;            /* span ids (first of each) ... */
  uint32_t *id_span;               /* ... and the span holding it */
  uint8_t *col[STOR_SCOLS];        /* sub-columns being built */
  size_t col_len[STOR_SCOLS];
  size_t col_cap[STOR_SCOLS];      /* worst case within the head bounds */
  uint8_t *text;                   /* inline text being built */
  size_t text_len;
  uint8_t *stream;                 /* lengths, sub-columns, text */
  size_t stream_len;
  size_t dict_len;                 /* the table's bytes, first in the stream */
  struct stor_zdeflate z;
  int overflow;                    /* the stream passed its bound */
};

/* Decoder scratch (allocated once; a reader uses one at a time). */
struct stor_spandec {
  uint8_t *text;                       /* the inflated stream */
  struct stor_zstr *dict;              /* STOR_SPANBLOCK_DICT_MAX */
  struct inflate_state *inf;
  struct stor_span_res *res;           /* STOR_SPANBLOCK_RESOURCES_MAX */
  struct core_otlp_attr *res_attrs;    /* STOR_SPANBLOCK_RES_ATTRS_MAX */
  struct core_otlp_attr *attrs;        /* CORE_SPAN_ATTRS_MAX: one span's */
  struct stor_span_event *events;      /* CORE_SPAN_EVENTS_MAX */
  struct stor_span_link *links;        /* CORE_SPAN_LINKS_MAX */
};

/* A span block opened for reading. */
struct stor_spanblock_reader {
  struct stor_spanblock_hdr hdr;
  struct stor_spandec *dec;
  const uint8_t *traces;               /* trace table (16 M bytes) */
  const uint8_t *span_ids;             /* 8 N bytes */
  const uint8_t *cp[STOR_SCOLS], *cend[STOR_SCOLS];
  const uint8_t *tp, *tend;            /* inline text */
  uint32_t res_count;
  uint32_t index;                      /* of the next span */
  uint32_t traces_seen;                /* first-use order check */
  int64_t prev_start;
  int64_t seen_min, seen_max;
  int failed;                          /* sticky */
};

#endif
