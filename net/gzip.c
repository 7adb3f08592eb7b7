/*
 * net/gzip.c - bounded gzip inflate with isa-l (see net/gzip.h).
 *
 * isa-l's streaming inflate stops when its input is used up or its output
 * is full. Output full with the stream unfinished is ambiguous: the next
 * bytes may be more data (over the bound) or only the 8-byte trailer. So
 * the inflater goes on into a small spill area: any byte landing there
 * means the body passes the bound.
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

/* Run the inflater until it finishes the member, wants more input it does
 * not have, or fills the output. Returns 0 or -EBADMSG (corrupt). */
static int run(struct inflate_state *st) {
  for (;;) {
    uint32_t in_before = st->avail_in, out_before = st->avail_out;
    int rc = isal_inflate(st);

    if (rc < 0)
      return -EBADMSG;
    if (st->block_state == ISAL_BLOCK_FINISH || st->avail_out == 0)
      return 0;
    if (st->avail_in == in_before && st->avail_out == out_before)
      return 0; /* no progress: the input ends inside the member */
  }
}

/* After the output filled: does the member end without one more byte of
 * output? Returns 0 (it ends), -E2BIG (more output) or -EBADMSG. */
static int check_spill(struct net_gzip *g) {
  struct inflate_state *st = &g->st;
  int rc;

  st->next_out = g->spill;
  st->avail_out = sizeof(g->spill);
  if ((rc = run(st)) < 0)
    return rc;
  if (st->avail_out != sizeof(g->spill))
    return -E2BIG;
  return st->block_state == ISAL_BLOCK_FINISH ? 0 : -EBADMSG;
}

/* One member from st's input into [*out, *out + room). Returns 0, -EBADMSG
 * or -E2BIG; *produced is what it wrote. */
static int member(struct net_gzip *g, uint8_t *out, size_t room,
                  size_t *produced) {
  struct inflate_state *st = &g->st;
  uint32_t avail = room > UINT32_MAX ? UINT32_MAX : (uint32_t)room;
  int rc;

  isal_inflate_reset(st);
  st->crc_flag = ISAL_GZIP;
  st->next_out = out;
  st->avail_out = avail;
  rc = run(st);
  *produced = avail - st->avail_out;
  if (rc < 0)
    return rc;
  if (st->block_state == ISAL_BLOCK_FINISH)
    return 0;
  if (st->avail_out > 0)
    return -EBADMSG; /* input used up inside the member: truncated */
  if (room > UINT32_MAX)
    return -E2BIG; /* isa-l counts in 32 bits: a bigger bound is not met */
  return check_spill(g);
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
    rc = member(g, (uint8_t *)out + done, out_bytes_max - done, &produced);
    done += produced;
    if (rc < 0)
      return rc;
    p = g->st.next_in;
    left = g->st.avail_in;
  } while (left > 0);
  *out_len = done;
  return 0;
}
