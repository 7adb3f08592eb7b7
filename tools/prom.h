/*
 * tools/prom.h - a small parser of the Prometheus text format (0.0.4):
 *   # HELP / # TYPE / other comments      skipped
 *   name[{label="value",...[,]}] value [timestamp_ms]
 * Enough for sluice's /metrics and for other exporters' plain samples.
 */
#ifndef SLUICE_TOOLS_PROM_H
#define SLUICE_TOOLS_PROM_H

#include <stddef.h>

#include "tools/prom_types.h"

/* Start reading text[0, len). The text must outlive the samples read. */
void tools_prom_start(struct tools_prom_cursor *c, const char *text,
                      size_t len);

/*
 * Read the next sample into s.
 * Returns 1 with s filled, 0 at the end of the text, -EINVAL for a
 * malformed line or -E2BIG for one with over TOOLS_PROM_LABELS_MAX labels
 * (the cursor has moved past that line and c->line names it; callers may
 * go on reading).
 */
int tools_prom_next(struct tools_prom_cursor *c, struct tools_prom_sample *s);

/* 1 when the sample's metric name is `name`, else 0. */
int tools_prom_name_is(const struct tools_prom_sample *s, const char *name);

/* The label called `name`, or NULL. */
const struct tools_prom_label *
tools_prom_label(const struct tools_prom_sample *s, const char *name);

/* 1 when label `name` exists with the raw value `value`, else 0. */
int tools_prom_label_is(const struct tools_prom_sample *s, const char *name,
                        const char *value);

#endif
