/*
 * net/gzip.c - bounded gzip inflate with isa-l (see net/gzip.h).
 *
 * Each member is inflated in one call of isa-l's one-shot inflate
 * (isal_inflate_stateless) straight into the caller's buffer, with the
 * room left under the bound as its output space. isa-l's streaming
 * inflate (isal_inflate) would first inflate up to 64 KiB into its own
 * history buffer and copy it out, and keep the last 32 KiB of history
 * whenever it stops short: a copy and 64 KiB of cache per body for a
 * stream we hold whole anyway. The one-shot call stops with
 * ISAL_OUT_OVERFLOW at the first byte that does not fit (nothing written
 * past the room), so a body over the bound is told from one that ends
 * exactly at it without inflating past it; it checks the trailer's CRC32
 * and ISIZE itself (ISAL_GZIP) and leaves next_in after the trailer.
 */
#include "net/gzip.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

void net_gzip_init(struct net_gzip *g) {
  memset(g, 0, sizeof(*g));
  isal_inflate_init(&g->st);
  g->st.crc_flag = ISAL_GZIP;
}

/* One member from st's input into [out, out + room). Returns 0, -EBADMSG
 * or -E2BIG; *produced is what it wrote. */
static int member(struct inflate_state *st, uint8_t *out, size_t room,
                  size_t *produced) {
  int rc;

  /* isa-l counts in 32 bits: a bigger room is cut to what it can count,
   * and a member that fills that is over any bound we would allow. */
  isal_inflate_reset(st);
  st->crc_flag = ISAL_GZIP;
  st->next_out = out;
  st->avail_out = room > UINT32_MAX ? UINT32_MAX : (uint32_t)room;
  rc = isal_inflate_stateless(st);
  *produced = (size_t)(st->next_out - out);
  if (rc == ISAL_DECOMP_OK)
    return 0;
  /* ISAL_OUT_OVERFLOW: more output than room. Anything else: corrupt
   * (< 0: bad block, symbol or distance; header or trailer check failed)
   * or cut short (ISAL_END_INPUT). */
  return rc == ISAL_OUT_OVERFLOW ? -E2BIG : -EBADMSG;
}

int net_gzip_inflate(struct net_gzip *g, const void *in, size_t in_len,
                     void *out, size_t out_bytes_max, size_t *out_len) {
  const uint8_t *p = in;
  size_t done = 0, left = in_len;

  *out_len = 0;
  if (in_len < 18 || in_len > UINT32_MAX)
    return -EBADMSG; /* shorter than a header and trailer; or isa-l's 32 bits */
  do {
    size_t produced;
    int rc;

    if (left < 2 || p[0] != 0x1f || p[1] != 0x8b)
      return -EBADMSG; /* not a (further) gzip member */
    g->st.next_in = (uint8_t *)(uintptr_t)p;
    g->st.avail_in = (uint32_t)left;
    rc = member(&g->st, (uint8_t *)out + done, out_bytes_max - done,
                &produced);
    done += produced;
    if (rc < 0)
      return rc;
    p = g->st.next_in;
    left = g->st.avail_in;
  } while (left > 0);
  *out_len = done;
  return 0;
}
