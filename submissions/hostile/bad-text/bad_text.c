/* bad-text: hostile text everywhere a plugin's words reach the judge.
 * maskbench.describe/1: a name with terminal escapes (ESC [ 2J, an OSC title,
 * CSI as the C1 byte U+009B), invalid UTF-8 (a stray continuation byte, an
 * overlong '/', a surrogate), a bidi override; a team of 200 "é" (cut by the
 * runner's 255-byte field in the middle of one); a version with CR, DEL and a
 * code point above U+10FFFF.
 * "fail" (config "create" or "infer"): writes the same kind of text to stderr
 * and into the error buffer (filled to the last byte, no NUL when "no_nul": 1),
 * and fails. */
#define MBH_ENTRY_EXTENSION 1
#include "hostile.h"

#define MBH_EVIL                                \
  "evil\x1b[2J\x1b]0;pwned\x07 \xc2\x9b"        \
  "31m \x80 \xc0\xaf \xed\xa0\x80 \xe2\x80\xae" \
  "txt.exe \xff\xfe"

static char team[401];

static const mb_ext_describe_t describe = {MBH_EVIL, team, "1.0\r\n\t\x7f\x1b[31m\xf4\x90\x80\x80"};

static const void* mbh_entry_extension(const char* id) {
  if (team[0] == '\0') {
    for (int i = 0; i < 200; ++i) memcpy(team + 2 * i, "\xc3\xa9", 2);
  }
  return strcmp(id, MB_EXT_DESCRIBE) == 0 ? &describe : NULL;
}

static int32_t mbh_attack(mbh_state_t* s, const char* a, char* error, size_t capacity) {
  (void)s;
  if (strcmp(a, "fail") != 0 || error == NULL || capacity == 0) return MB_OK;
  fputs("stderr: " MBH_EVIL "\n\x1b[?1049h\x1b]52;c;cHduZWQ=\x07\n", stderr);
  fflush(stderr);
  size_t n = 0;
  while (n + sizeof MBH_EVIL <= capacity) {
    memcpy(error + n, MBH_EVIL, sizeof MBH_EVIL - 1);
    n += sizeof MBH_EVIL - 1;
  }
  while (n < capacity) error[n++] = '\xc3'; /* lead bytes without their continuation */
  if (!mbh_int(s, "no_nul", 0)) error[capacity - 1] = '\0';
  return MB_ERR_INTERNAL;
}
