/*
 * core/ingest/spanmap.c - OTLP spans into the span head (see spanmap.h):
 * refusals are counted here, storage and bounds are the head's.
 */
#include "core/ingest/spanmap.h"

#include "core/base/ring.h"
#include "core/base/stat.h"
#include "core/ingest/spanhead.h"

int core_pipe_spans_init(struct core_pipe *p, core_spanhead_sink_fn sink,
                         void *ctx) {
  int rc = core_spanhead_init(&p->spanhead, sink, ctx, &p->stats->spans_otlp);

  if (rc == 0) /* core_pipe_otlp's traces go to the head from now on */
    p->spans = (struct core_pipe_spans){core_pipe_otlp_span,
                                        core_pipe_otlp_event,
                                        core_pipe_otlp_link};
  return rc;
}

static int count(struct core_pipe *p, enum core_span_reject why) {
  if (why != CORE_SPAN_OK)
    core_stat_add(&p->stats->spans_rejected[why], 1);
  return 0;
}

int core_pipe_otlp_span(void *pipe, const struct core_otlp_span *s) {
  struct core_pipe *p = pipe;

  if (p->spanhead.spans == NULL)
    return 0; /* before core_pipe_spans_init */
  return count(p, core_spanhead_span(&p->spanhead, s, core_ring_now_ms()));
}

int core_pipe_otlp_event(void *pipe, const struct core_otlp_span *s,
                         const struct core_otlp_event *e) {
  struct core_pipe *p = pipe;

  (void)s; /* the head's open span */
  if (p->spanhead.spans == NULL)
    return 0; /* before core_pipe_spans_init */
  return count(p, core_spanhead_event(&p->spanhead, e));
}

int core_pipe_otlp_link(void *pipe, const struct core_otlp_span *s,
                        const struct core_otlp_link *l) {
  struct core_pipe *p = pipe;

  (void)s;
  if (p->spanhead.spans == NULL)
    return 0; /* before core_pipe_spans_init */
  return count(p, core_spanhead_link(&p->spanhead, l));
}

uint64_t core_pipe_spans_refused(const struct core_pipe *p) {
  uint64_t n = 0;

  for (int r = 1; r < CORE_SPAN_REJ_COUNT; r++)
    n += core_stat_get(&p->stats->spans_rejected[r]);
  return n;
}

const char *core_span_reject_name(enum core_span_reject r) {
  static const char *const names[CORE_SPAN_REJ_COUNT] = {
      [CORE_SPAN_OK] = "ok",
      [CORE_SPAN_REJ_EVENTS] = "events",
      [CORE_SPAN_REJ_LINKS] = "links",
      [CORE_SPAN_REJ_ATTRS] = "attributes",
      [CORE_SPAN_REJ_NAME_BYTES] = "name_bytes",
      [CORE_SPAN_REJ_VALUE_BYTES] = "value_bytes",
      [CORE_SPAN_REJ_SPAN_BYTES] = "span_bytes",
      [CORE_SPAN_REJ_RESOURCE_BYTES] = "resource_bytes",
  };
  return (unsigned)r < CORE_SPAN_REJ_COUNT ? names[r] : "?";
}
