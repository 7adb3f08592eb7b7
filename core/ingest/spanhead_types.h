/*
 * core/ingest/spanhead_types.h - the open span block of a shard: OTLP
 * spans with their events, links, attributes and resources, their bytes
 * copied into an arena, that fill until a count, byte or age bound seals
 * them into a span block (storage/spanblock_types.h).
 */
#ifndef SLUICE_CORE_INGEST_SPANHEAD_TYPES_H
#define SLUICE_CORE_INGEST_SPANHEAD_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/parse/otlp_types.h"
#include "storage/spanblock_types.h"

struct core_spanhead;

/*
 * Called with a full or aged span head. It must consume the spans before
 * it returns: the head is emptied right after.
 */
typedef void (*core_spanhead_sink_fn)(struct core_spanhead *h, void *ctx);

/* Why a span was refused (the reason label of
 * sluice_otlp_rejected_spans_total). A refused span stores nothing. */
enum core_span_reject {
  CORE_SPAN_OK = 0,
  CORE_SPAN_REJ_EVENTS,         /* over CORE_SPAN_EVENTS_MAX events */
  CORE_SPAN_REJ_LINKS,          /* over CORE_SPAN_LINKS_MAX links */
  CORE_SPAN_REJ_ATTRS,          /* over CORE_SPAN_ATTRS_MAX attributes */
  CORE_SPAN_REJ_NAME_BYTES,     /* a name or key over CORE_SPAN_NAME_BYTES_MAX */
  CORE_SPAN_REJ_VALUE_BYTES,    /* a value over CORE_SPAN_VALUE_BYTES_MAX */
  CORE_SPAN_REJ_SPAN_BYTES,     /* the span over CORE_SPAN_BYTES_MAX */
  CORE_SPAN_REJ_RESOURCE_BYTES, /* its resource over a bound */
  CORE_SPAN_REJ_COUNT
};

/* Where the head stood before the open span: what a refusal restores. */
struct core_spanhead_mark {
  uint32_t count, event_count, link_count, attr_count;
  uint32_t res_count, res_attr_count;
  size_t arena_len;
};

struct core_spanhead {
  struct stor_span *spans;          /* CORE_SPANHEAD_SPANS_MAX */
  struct stor_span_event *events;   /* CORE_SPANHEAD_EVENTS_MAX */
  struct stor_span_link *links;     /* CORE_SPANHEAD_LINKS_MAX */
  struct core_otlp_attr *attrs;     /* CORE_SPANHEAD_ATTRS_MAX: of spans,
                                       events and links */
  struct stor_span_res *res;        /* CORE_SPANHEAD_RESOURCES_MAX */
  struct core_otlp_attr *res_attrs; /* CORE_SPANHEAD_RES_ATTRS_MAX */
  char *arena;                      /* CORE_SPANHEAD_ARENA_BYTES */
  uint32_t count, event_count, link_count, attr_count;
  uint32_t res_count, res_attr_count;
  size_t arena_len;
  int64_t opened_ms;                /* when the first span came */
  /* the last span, open to its events and links until the next span,
   * the seal or the tick closes it (then it counts as stored) */
  bool open;                        /* false after a refusal: the refused
                                       span's parts are dropped */
  struct core_spanhead_mark mark;
  uint32_t open_attrs;              /* of the open span, events and links */
  size_t open_bytes;                /* its bytes in the arena */
  uint32_t open_events_max, open_links_max; /* as the span announced */
  uint64_t *stored;                 /* counter of closed spans, or NULL */
  core_spanhead_sink_fn sink;
  void *sink_ctx;
  uint64_t sealed_blocks;
  uint64_t sealed_spans;
};

#endif
