/*
 * storage/logblock_types.h - the log block (kind 2) of a segment.
 *
 * Same 64-byte header frame as a metric block (storage/block_types.h: magic,
 * version, kind, shard, count, seq, header check, min/max time, payload
 * bytes, CRC32C at the same offsets, computed the same way); the fields
 * that differ are:
 *
 *   off size field
 *   5   1    kind = STOR_KIND_LOGS (2)
 *   8   4    record count N (1 .. STOR_LOGBLOCK_RECORDS_MAX)
 *   12  4    inflated stream bytes U (<= STOR_LOGBLOCK_TEXT_BYTES_MAX)
 *   24  8    min time, ns since the epoch (signed)
 *   32  8    max time, ns since the epoch (signed)
 *   44  4    string table entries D (<= STOR_LOGBLOCK_DICT_MAX)
 *   48  4    string table column bytes T
 *   52  4    fields bytes F: the first F bytes of the inflated stream
 *   56  4    stream bytes as stored (raw deflate), C
 *
 * The payload is the string table, then the deflated stream, and
 * L = T + C exactly. Inflated, the stream is the fields (a time-unit byte,
 * STOR_LCOLS sub-column lengths, the sub-columns) then the inline text.
 * Layouts are in docs/segment-format.md ("Log blocks").
 *
 * Layout 2 (written since issue 14; layout 1 above is still read) keeps
 * the frame and redefines the log fields:
 *
 *   off size field
 *   12  4    (2 << 28) | U: layout 2 in bits 28..31 (always 0 in layout 1,
 *            whose U <= 32 MiB), U the stream bytes before zstd
 *   44  4    string table entries D (<= STOR_LOGBLOCK_DICT_MAX)
 *   48  4    template entries M (<= STOR_LOG2_TPL_MAX)
 *   52  4    expanded bytes X: what the templated strings come to
 *   56  4    zstd frame bytes C; payload L = C
 *
 * The payload is one zstd frame of U bytes: a time-unit byte, the
 * STOR_LCOLS2 column lengths (varints), the columns (enum stor_lcol;
 * docs/segment-format.md, "Log blocks, layout 2").
 *
 * Layout 3 (live blocks holding OTLP records, since issue 11) is layout 1
 * (same words at 44..56) with offset 12 = (3 << 28) | U and one raw column
 * between the string table and the deflated stream:
 *
 *   payload: string table (T) | O (4 bytes LE) | OTLP column (O bytes) |
 *            deflated stream (C); L = T + 4 + O + C
 *
 * The OTLP column holds one entry a record (struct stor_log_otel): a
 * byte of STOR_LOTEL_* bits; when not 0, the attribute index `at` they
 * are read in at (byte), the observed time as svarint (observed - time)
 * mod 2^64 (STOR_LOTEL_OBS), the 16-byte trace id (STOR_LOTEL_TRACE,
 * unless STOR_LOTEL_TRACE_SAME: the id of the block's last record that
 * had one), the 8-byte span id (STOR_LOTEL_SPAN; STOR_LOTEL_SPAN_SAME
 * likewise). Readers serve them as the
 * attributes otel/observed_time_unix_nano (decimal), otel/trace_id and
 * otel/span_id (lowercase hex), in that order, at index `at`
 * (docs/segment-format.md, "Layout 3").
 *
 * In layout 3's stream the attributes sub-column (STOR_LCOL_ATTRS) writes
 * a record's count as varint A * 2 + same: same = 1, only each
 * attribute's value ref follows, its SD-ID and name being those of the
 * last record of the block that wrote keys (A equal to its count; not on
 * the first record); same = 0, SD-ID, name and value refs as layout 1.
 *
 * Layout 4 (live OTLP blocks since issue 11's encoder work) is layout 3
 * with the stream as one zstd frame (level STOR_LOG4_ZLEVEL) in place of
 * raw deflate: offset 12 = (4 << 28) | U, offset 56 = C the frame's
 * bytes; everything else as layout 3 (the frame may compress more than
 * deflate's 1032:1, so that bound is not checked). On OTLP records zstd
 * level 1 writes 3.2x fewer bytes than igzip level 1 at a lower cost
 * (perf/RESULTS.md, "Log block encoder").
 */
#ifndef SLUICE_STORAGE_LOGBLOCK_TYPES_H
#define SLUICE_STORAGE_LOGBLOCK_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "core/parse/syslog_types.h"
#include "core/base/limits.h"
#include "storage/zcol_types.h"

struct inflate_state;
struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;

#define STOR_LHDR_OFF_TEXT_BYTES 12
#define STOR_LHDR_OFF_DICT_COUNT 44
#define STOR_LHDR_OFF_DICT_BYTES 48
#define STOR_LHDR_OFF_FIELDS_BYTES 52 /* inside the inflated stream */
#define STOR_LHDR_OFF_ZTEXT_BYTES 56

/*
 * How a string field is coded in the fields column (a varint "ref"):
 * 0 empty/absent, 1 inline in the text column, k >= 2 string table entry
 * k - 2.
 */
enum {
  STOR_LREF_EMPTY = 0,
  STOR_LREF_INLINE = 1,
  STOR_LREF_DICT0 = 2,
};

/*
 * Worst case of the fields column for one record: time and receive time
 * (10 each), PRI (1), flags (5), host, app, procid, msgid, message refs
 * (5 each), attribute count (5); per attribute three refs (15).
 */
#define STOR_LREC_FIELDS_BYTES_MAX (10 + 10 + 1 + 5 + 5 * 5 + 5)
#define STOR_LATTR_FIELDS_BYTES_MAX 15
/* Smallest: 1-byte time, recv, PRI, flags, five refs and attribute count. */
#define STOR_LREC_FIELDS_BYTES_MIN 10

/* The fields' sub-columns, in stream order (one value or more a record). */
enum stor_lcol {
  STOR_LCOL_TIME,   /* svarint: time offset delta, in time units */
  STOR_LCOL_RECV,   /* svarint: receive time delta, ms */
  STOR_LCOL_PRI,    /* byte: facility * 8 + severity */
  STOR_LCOL_FLAGS,  /* varint */
  STOR_LCOL_HOST,   /* ref */
  STOR_LCOL_APP,    /* ref */
  STOR_LCOL_PROCID, /* ref */
  STOR_LCOL_MSGID,  /* ref */
  STOR_LCOL_ATTRS,  /* varint count, then per attribute sdid, name, value refs */
  STOR_LCOL_MSG,    /* ref */
  STOR_LCOLS,
  /* layout 2 only: the string table and the template coder's columns */
  STOR_LCOL_STRTAB = STOR_LCOLS, /* D entries: varint length, bytes */
  STOR_LCOL_TPLLEN, /* M varints: template lengths */
  STOR_LCOL_TPL,    /* the templates' bytes, back to back */
  STOR_LCOL_NUM,    /* varints: decimal variables */
  STOR_LCOL_HEX,    /* bytes: hex variables, two digits a byte */
  STOR_LCOL_TEXT,   /* inline strings: varint length, bytes */
  STOR_LCOLS2
};

/* Layout 2: the word at offset 12 holds the layout in its top 4 bits. */
#define STOR_LOG_LAYOUT_SHIFT 28
#define STOR_LOG_LAYOUT2 2u
#define STOR_LOG_LAYOUT3 3u
#define STOR_LOG_LAYOUT4 4u
/* Placeholders in a template (a string holding any of them is stored
 * raw): decimal without leading zeros; decimal of a width (next byte);
 * lowercase hex of 2 x (next byte) digits. */
#define STOR_LTPL_NUM 1
#define STOR_LTPL_NUMW 2
#define STOR_LTPL_HEX 3
#define STOR_LTPL_NUM_DIGITS_MAX 19    /* < 2^64 whatever the digits */
#define STOR_LTPL_HEX_BYTES_MIN 4      /* 8 hex digits or more ... */
#define STOR_LTPL_HEX_BYTES_MAX 127    /* ... up to 254 */
/* The layout live blocks are written in (1: igzip; layout 2 with zstd
 * cost the shard's path 17% of its TCP loopback rate), and when layout 2
 * is chosen for them its zstd level and whether messages are
 * template-coded; compaction's pack writes layout 2 with templates at
 * STOR_LOG2_ZLEVEL_PACK (perf/RESULTS.md, "Log blocks v2"; 7, not 9:
 * about a third less zstd time for +0.2-0.3% bytes, "Log compaction
 * cost" and "Session 9"). */
#define STOR_LOG_LAYOUT_LIVE 1u
#define STOR_LOG2_ZLEVEL_LIVE 1
#define STOR_LOG2_ZLEVEL_PACK 7
#define STOR_LOG2_TEMPLATES_LIVE 0
/* The layout the layout-1 path writes a block holding OTLP records in
 * (3: deflate, still read; 4: zstd at STOR_LOG4_ZLEVEL). */
#define STOR_LOG_OTLP_LAYOUT_LIVE STOR_LOG_LAYOUT4
#define STOR_LOG4_ZLEVEL 1
#define STOR_LOG4_HASH_LOG 13 /* zstd hashLog of layout 4's encoder (level
                                 1's own: 14; perf/RESULTS.md, "zstd
                                 parameters") */
/* Value refs (messages and attribute values) in layout 2: 0 empty,
 * 1 inline, k >= 2 template k - 2 with its variables. */

/* A template-coded string being encoded: its template and where its
 * variables start in the record-order NUM and HEX columns. */
struct stor_lvstr {
  uint32_t tpl, num, hex;
};

/* Layout 2's value memo, one per value position (attribute i, or the
 * message: STOR_LVMEMO_MSG): the last string template-coded there, its
 * template and its variables' bytes in the record-order NUM and HEX
 * columns. The next string with the same bytes codes the same, so it
 * takes them again without building and looking up its template; one
 * whose template comes out the same skips the lookup. Only bytes decide:
 * the block's bytes are as without it. ptr NULL: none yet this block. */
#define STOR_LVMEMO_MSG CORE_SYSLOG_SD_ATTRS_MAX
struct stor_lvmemo {
  const char *ptr;
  uint32_t len, tpl;
  uint32_t num, num_len, hex, hex_len;
};

/* Layout 2's key memo, one per key position (host, app, procid, msgid,
 * then each attribute's sd id and name): the address of the last string
 * written there and the ref bytes stor_lput_ref wrote for it (a string
 * table ref: an address has the same bytes all through a block, and their
 * index stays). The next string at that address takes the bytes again.
 * n 0: none. */
#define STOR_LKMEMO_ATTR0 4 /* sd id of attribute i: 4 + 2i, name: 5 + 2i */
#define STOR_LKMEMO_N (STOR_LKMEMO_ATTR0 + 2 * CORE_SYSLOG_SD_ATTRS_MAX)
struct stor_lkmemo {
  const char *ptr;
  uint32_t len;
  uint8_t n, ref[3];
};

/* Binary OTLP fields of a record (layout 3): which are present, where
 * among the record's attributes they are served, their values. */
#define STOR_LOTEL_OBS 1u   /* observed_ns */
#define STOR_LOTEL_TRACE 2u /* trace_id */
#define STOR_LOTEL_SPAN 4u  /* span_id */
#define STOR_LOTEL_ALL 7u
/* In the column only: the id repeats the block's last one (the records
 * of one request or span share their ids). */
#define STOR_LOTEL_TRACE_SAME 8u
#define STOR_LOTEL_SPAN_SAME 16u
#define STOR_LOTEL_ATTRS_MAX 3 /* attributes they expand to */
/* A record's entry in the OTLP column, at most: bits, at, svarint, ids. */
#define STOR_LOTEL_REC_BYTES_MAX (1 + 1 + 10 + 16 + 8)
/* Text the expanded attributes take, at most: 20 decimal digits, 32 and
 * 16 hex digits. */
#define STOR_LOTEL_TEXT_BYTES_MAX (20 + 32 + 16)
struct stor_log_otel {
  uint8_t has;          /* STOR_LOTEL_* bits; 0: none (every syslog record) */
  uint8_t at;           /* attribute index they precede (<= attr_count) */
  uint64_t observed_ns;
  uint8_t trace_id[16];
  uint8_t span_id[8];
};

/*
 * One log record as handed to the encoder and as returned by the reader.
 * Strings are pointer + length (len 0: absent), so the syslog path fills
 * it from a core_syslog_rec without copying (attrs may point straight at
 * core_syslog_rec.attrs). The encoder reads nothing past the lengths.
 */
struct stor_log_rec {
  int64_t time_ns;      /* event time (the parsed timestamp) */
  int64_t recv_ms;      /* when sluice received it */
  uint8_t facility;     /* 0..23 */
  uint8_t severity;     /* 0..7 */
  /* The encoder's input only (readers return 0): 1 when a producer knows
   * the attributes' sd ids and names (count, bytes, order) equal those
   * of the record before this one in the array encoded (the OTLP mapping
   * finds it while it writes them), and the encoder skips its own
   * comparison (stor_log3_keys_same); 0 (syslog, compaction): the encoder
   * compares. Never 1 when they differ: the block would then be wrong. */
  uint8_t keys_prev;
  uint32_t flags;       /* CORE_SYSLOG_F_* */
  struct core_syslog_str host, app, procid, msgid, msg;
  uint32_t attr_count;  /* <= CORE_SYSLOG_SD_ATTRS_MAX */
  const struct core_syslog_attr *attrs;
  struct stor_log_otel otel; /* the encoder's input only: readers serve
                                these as attributes (has = 0) */
};

/* A log block header, decoded. */
struct stor_logblock_hdr {
  uint8_t version, kind;
  uint16_t shard;
  uint32_t count;
  uint32_t text_bytes;   /* U: the inflated stream (fields and text) */
  uint64_t seq;
  int64_t min_ns, max_ns;
  uint32_t payload_bytes;
  uint32_t dict_count;
  uint32_t dict_bytes;
  uint32_t fields_bytes;  /* F: fields part of the inflated stream */
  uint32_t ztext_bytes;   /* C: the deflated stream (zstd frame in 2) */
  uint8_t layout;         /* 1, 2, 3 or 4 */
  uint32_t otel_bytes;    /* layouts 3, 4: O, the raw OTLP column */
  uint32_t tpl_count;     /* layout 2: M */
  uint32_t expanded_bytes; /* layout 2: X */
};

/*
 * The encoder's string-table front: a string seen at the same address and
 * length earlier in the block has the same bytes (records are constant
 * while a block is encoded), so its table index is found without hashing
 * its bytes. OTLP records point at shared literals and at a request's
 * resource strings; syslog records at a block's own copies (misses cost
 * one compare). Direct-mapped; valid for the table generation it holds.
 */
#define STOR_LPC_SLOTS 256 /* power of two */
#define STOR_LPC_ONCE UINT32_MAX /* a value seen once: inline, not in the
                                    table (a second sight adds it) */
struct stor_lpc {
  const char *ptr;
  uint32_t len, gen, idx;
};

/* Layout 1's attribute memo, position i of the last record: its sd id and
 * name and their two one-byte refs (both in the string table or empty,
 * indexes < 126), written again when the next record's attribute i has
 * the same addresses (gen: the table generation); and its value, which
 * goes to the string table when the next record's value i has its address
 * (value_idx STOR_LPC_ONCE until then: inline; value NULL from the
 * block's start, stor_lreset; value_ref its one-byte ref once it has one,
 * else 0). Only addresses decide,
 * and the OTLP mapping's references make them (equal bytes at other
 * addresses stay inline, as before), so equal records encode equally. */
struct stor_lam {
  const char *sdid, *name, *value;
  uint32_t sdid_len, name_len, gen;
  uint32_t value_len, value_idx;
  uint8_t ref[2], value_ref;
};

/* Layout 1's last host, app, procid and msgid (column STOR_LCOL_HOST +
 * i): a record whose string has the same address and length writes the
 * same one-byte string table ref (ref 0: none yet; stor_lreset). */
#define STOR_LRM_COLS 4
struct stor_lrm {
  const char *ptr;
  uint32_t len;
  uint8_t ref;
};

/*
 * Scratch of one log encoder, allocated at stor_logenc_init so that
 * encoding allocates nothing.
 */
struct stor_logenc {
  uint32_t records_max;
  struct stor_ztab tab;             /* the string table (storage/zcol.h) */
  struct stor_lpc pc[STOR_LPC_SLOTS]; /* its address front (tab.gen) */
  struct stor_lam am[CORE_SYSLOG_SD_ATTRS_MAX]; /* layout 1 (tab.gen) */
  struct stor_lrm rm[STOR_LRM_COLS]; /* layout 1: the last head refs */
  uint8_t *col[STOR_LCOLS];         /* sub-columns being built */
  size_t col_cap[STOR_LCOLS], col_len[STOR_LCOLS];
  uint8_t *text;                    /* inline text being built ... */
  uint8_t *text_mem;                /* ... at text_head bytes into this:
                                       layout 1 puts its fields there,
                                       before the text, not copying it */
  size_t text_len, text_head;
  uint8_t *stream;                  /* layout 2: its stream */
  const uint8_t *src;               /* layout 1: fields then text, before
                                       deflate or zstd (in text_mem) */
  size_t stream_len, fields_len;
  struct stor_zdeflate zd;          /* layout 1: igzip state */
  int overflow;                     /* text over STOR_LOGBLOCK_TEXT_BYTES_MAX */
  uint8_t *otel;                    /* layout 3: the OTLP column */
  size_t otel_len;
  uint8_t otel_last;                /* STOR_LOTEL_TRACE/SPAN: last ids set */
  uint8_t otel_trace[16], otel_span[8]; /* the block's last ids */
  int layout3;                      /* the block being built has it */
  const struct stor_log_rec *kprev; /* layout 3: the last record (its keys) */
  /* records added one by one (stor_logenc_open .. _finish): their times
   * and receive times, written as columns at _finish (both depend on the
   * block's min time) */
  int64_t *itime, *irecv;           /* records_max each */
  uint32_t icount;                  /* records added */
  int iopen;                        /* a block is open */
  unsigned otlp_layout;             /* STOR_LOG_LAYOUT3 or 4 */
  struct ZSTD_CCtx_s *z4;           /* layout 4: a static context ... */
  void *z4_mem;                     /* ... in this memory (no allocation
                                       while encoding) */
  /* layout 2 */
  unsigned layout;                  /* 1 or STOR_LOG_LAYOUT2 */
  int level;                        /* zstd level (STOR_LOG2_ZLEVEL_*) */
  int no_templates;                 /* store messages and values inline */
  struct ZSTD_CCtx_s *zc;
  struct stor_ztab tpl;             /* templates of the block */
  uint8_t *col2[STOR_LCOLS2 - STOR_LCOLS]; /* STRTAB .. TEXT columns */
  size_t col2_len[STOR_LCOLS2 - STOR_LCOLS];
  size_t expanded;                  /* X */
  size_t excess;                    /* new templates' bytes over raw */
  struct stor_lvstr *vs;            /* STOR_LOG2_VALUES_MAX */
  uint32_t vs_count;
  uint32_t *tcnt;                   /* STOR_LOG2_TPL_MAX: strings a template */
  uint32_t *order;                  /* STOR_LOG2_VALUES_MAX: by template */
  uint32_t slots;                   /* variable slots of the templates */
  uint32_t tb_vars;                 /* variables of the string just built */
  struct stor_lvmemo vmemo[STOR_LVMEMO_MSG + 1]; /* reset a block */
  struct stor_lkmemo kmemo[STOR_LKMEMO_N];       /* reset a block */
};

/*
 * Where an open incremental block stood (stor_logenc_mark): what
 * stor_logenc_rewind restores. The attribute memos are kept whole (they
 * decide which values go to the string table); the address caches (the
 * front, the head refs) are emptied instead.
 */
struct stor_logmark {
  size_t col_len[STOR_LCOLS], text_len, otel_len;
  uint32_t icount, tab_count, tab_gen;
  int overflow;
  uint8_t otel_last, otel_trace[16], otel_span[8];
  const struct stor_log_rec *kprev;
  struct stor_lam am[CORE_SYSLOG_SD_ATTRS_MAX];
};

/*
 * Decoder scratch: the inflated stream and the string table's
 * pointers. Allocated once (stor_logdec_init); a reader uses one at a time.
 */
struct stor_logdec {
  uint8_t *text;                   /* STOR_LOGBLOCK_TEXT_BYTES_MAX bytes:
                                      the inflated stream */
  struct stor_zstr *dict;          /* STOR_LOGBLOCK_DICT_MAX entries */
  struct inflate_state *inf;       /* igzip state (large: kept off stack) */
  /* layout 2 */
  struct ZSTD_DCtx_s *zd;
  struct stor_zstr *tpl;           /* STOR_LOG2_TPL_MAX templates */
  char *arena;                     /* STOR_LOGBLOCK_TEXT_BYTES_MAX bytes:
                                      expanded strings of the block */
  uint32_t *tcount, *tuse;         /* STOR_LOG2_TPL_MAX: strings a template
                                      has, and has used so far */
  uint32_t *tslot0;                /* STOR_LOG2_TPL_MAX + 1: first slot */
  const uint8_t **slot_cur, **slot_end; /* STOR_LOG2_SLOTS_MAX: each
                                      variable slot's values */
};

/* A log block opened for reading. */
struct stor_logblock_reader {
  struct stor_logblock_hdr hdr;
  struct stor_logdec *dec;
  const uint8_t *cp[STOR_LCOLS2], *cend[STOR_LCOLS2]; /* sub-columns */
  const uint8_t *tp, *tend;   /* inline text; all in dec->text */
  unsigned time_exp;          /* times are min + offset * 10^time_exp */
  uint64_t time_unit;
  uint64_t prev_off;
  int64_t prev_recv_ms;
  uint32_t left;
  int64_t seen_min, seen_max;
  int failed;                 /* sticky */
  uint64_t prev_cls_off[2];   /* layout 2: last offset of each time class */
  size_t expanded;            /* layout 2: arena bytes used */
  uint32_t slots;             /* layout 2: variable slots in use */
  const uint8_t *op, *oend;   /* layout 3: the OTLP column (in the block) */
  uint8_t olast;              /* layout 3: the last ids read (bits) */
  uint8_t otrace[16], ospan[8];
  /* layout 3: the attribute keys (sd id, name) of the last record that
   * wrote them, for records marked "same keys" */
  int kset;
  uint32_t nkeys;
  struct core_syslog_str keys[CORE_SYSLOG_SD_ATTRS_MAX][2];
};

#endif
