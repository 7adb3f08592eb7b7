/*
 * core/parse/otlp_render.h - an OTLP AnyValue as text, for label values and
 * log attributes (the mapping is in docs/otlp.md, "Mapping"). Allocates
 * nothing: runs on a shard's data path.
 */
#ifndef SLUICE_CORE_PARSE_OTLP_RENDER_H
#define SLUICE_CORE_PARSE_OTLP_RENDER_H

#include <stddef.h>

#include "core/parse/otlp_types.h"

/*
 * Write v at out (cap bytes, not NUL-terminated): a string as is; an int
 * in decimal; a double in its shortest exact form (core_fmt_double);
 * a bool as true/false; bytes as lowercase hex; an array or kvlist as
 * compact JSON (`[1,"a",true]`, `{"k":1.5,"m":null}`: strings escaped,
 * bytes as hex strings, an absent value as null); an absent value as "".
 * Returns the length, or cap + 1 when it does not fit (out then holds a
 * cut prefix).
 */
size_t core_otlp_value_text(const struct core_otlp_value *v, char *out,
                            size_t cap);

/*
 * The same as JSON: strings quoted and escaped, ints, doubles and bools
 * bare (non-finite doubles as the strings "NaN", "+Inf", "-Inf"), bytes
 * as a hex string, arrays and kvlists as above, absent as null.
 * Returns the length or cap + 1.
 */
size_t core_otlp_value_json(const struct core_otlp_value *v, char *out,
                            size_t cap);

/*
 * n attributes as JSON members `"PREFIX.key":value` (values as
 * core_otlp_value_json), comma-separated, without braces: a caller joins
 * lists into one object. Returns the length or cap + 1.
 */
size_t core_otlp_attrs_json(const char *prefix, const struct core_otlp_attr *a,
                            uint32_t n, char *out, size_t cap);

#endif
