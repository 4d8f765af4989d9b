/* The skeleton every hostile plugin includes once (built with _GNU_SOURCE).
 *
 * A hostile plugin defines
 *   static int32_t mbh_attack(mbh_state_t* s, const char* attack, char* error, size_t capacity);
 * which runs the named attack and records each step with mbh_step(); `s` is
 * NULL in the constructor (no config there: compiled-in -D values only). It
 * returns MB_OK, or an MB_ERR_* code to make create()/infer() fail with `error`.
 *
 * When the attacks run:
 *   constructor (at dlopen): -DMBH_CTOR_ATTACK="name"
 *   create():                config "create": "name"
 *   infer():                 config "infer": "name", at call "at_call" (default 0),
 *                            or on every call from there with "every": 1
 * Every infer() reports the recorded steps as detections (unless the attack
 * wrote the output itself: s->answered): detection i has y = i, class_id = the
 * step's code (MBH_BLOCKED 0, MBH_PARTIAL 1, MBH_SUCCEEDED 2) and w = 1 + the
 * step's value, so the test reads back what the plugin achieved. Frames must
 * be at least 4096 x 64 for the values the plugins report. */
#ifndef MASKBENCH_HOSTILE_H_
#define MASKBENCH_HOSTILE_H_

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "maskbench/accelerator.h"
#include "test_config.h"

enum { MBH_BLOCKED = 0, MBH_PARTIAL = 1, MBH_SUCCEEDED = 2 };
#define MBH_MAX_STEPS 32

/* What the attacks achieved, from every phase (the constructor's included). */
static struct {
  uint32_t n;
  int32_t code[MBH_MAX_STEPS];
  uint32_t value[MBH_MAX_STEPS];
} mbh_results;

static inline void mbh_step(int32_t code, uint32_t value) {
  if (mbh_results.n >= MBH_MAX_STEPS) return;
  mbh_results.code[mbh_results.n] = code;
  mbh_results.value[mbh_results.n] = value;
  mbh_results.n++;
}

/* infer() calls so far (read by attack threads). */
static volatile uint64_t mbh_calls;

typedef struct mbh_state {
  mb_accelerator_t base;
  char* config;
  char dir[1024]; /* the submission folder create() received */
  long at_call;
  int every; /* config "every": the infer attack runs on every call from at_call on */
  /* During infer() only (else NULL): the call's arguments. */
  const mb_frame_t* frame;
  mb_detection_t* detections;
  uint32_t capacity;
  uint32_t* count;
  int answered; /* the attack wrote *count and the detections itself */
} mbh_state_t;

static int32_t mbh_attack(mbh_state_t* s, const char* attack, char* error, size_t capacity);

/* Config readers that fall back in the constructor (s == NULL). */
static inline long mbh_int(const mbh_state_t* s, const char* key, long fallback) {
  return s ? mb_test_config_int(s->config, key, fallback) : fallback;
}
static inline void mbh_str(const mbh_state_t* s, const char* key, char* out, size_t cap,
                           const char* fallback) {
  if (s == NULL || !mb_test_config_string(s->config, key, out, cap)) {
    snprintf(out, cap, "%s", fallback);
  }
}

/* Sleeps `us` microseconds (CLOCK_MONOTONIC, absolute deadline). */
static inline void mbh_sleep_us(long us) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  t.tv_nsec += (us % 1000000) * 1000;
  t.tv_sec += us / 1000000 + t.tv_nsec / 1000000000;
  t.tv_nsec %= 1000000000;
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) != 0) {
  }
}

/* ---- GOT patching of the main program (the runner) -------------------------
 * Rewrites every relocation slot of the executable that binds `symbol`
 * (PLT and GLOB_DAT) to `replacement`; returns how many were patched. */
typedef struct {
  const char* symbol;
  void* replacement;
  int patched;
} mbh_got_patch_t;

static inline uintptr_t mbh_abs(uintptr_t base, uintptr_t v) { return v < base ? base + v : v; }

static inline int mbh_got_callback(struct dl_phdr_info* info, size_t size, void* data) {
  (void)size;
  mbh_got_patch_t* p = (mbh_got_patch_t*)data;
  const ElfW(Dyn)* dyn = NULL;
  for (int i = 0; i < info->dlpi_phnum; ++i)
    if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
      dyn = (const ElfW(Dyn)*)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
  if (dyn == NULL) return 1;
  const uintptr_t base = info->dlpi_addr;
  const ElfW(Sym)* symtab = NULL;
  const char* strtab = NULL;
  const ElfW(Rela) * rel[2] = {NULL, NULL};
  size_t relsz[2] = {0, 0};
  for (; dyn->d_tag != DT_NULL; ++dyn) {
    if (dyn->d_tag == DT_SYMTAB) symtab = (const ElfW(Sym)*)mbh_abs(base, dyn->d_un.d_ptr);
    if (dyn->d_tag == DT_STRTAB) strtab = (const char*)mbh_abs(base, dyn->d_un.d_ptr);
    if (dyn->d_tag == DT_JMPREL) rel[0] = (const ElfW(Rela)*)mbh_abs(base, dyn->d_un.d_ptr);
    if (dyn->d_tag == DT_PLTRELSZ) relsz[0] = dyn->d_un.d_val;
    if (dyn->d_tag == DT_RELA) rel[1] = (const ElfW(Rela)*)mbh_abs(base, dyn->d_un.d_ptr);
    if (dyn->d_tag == DT_RELASZ) relsz[1] = dyn->d_un.d_val;
  }
  if (symtab == NULL || strtab == NULL) return 1;
  const long page = sysconf(_SC_PAGESIZE);
  for (int t = 0; t < 2; ++t) {
    for (size_t k = 0; rel[t] != NULL && k < relsz[t] / sizeof(ElfW(Rela)); ++k) {
      const ElfW(Sym)* sym = &symtab[ELF64_R_SYM(rel[t][k].r_info)];
      if (strcmp(strtab + sym->st_name, p->symbol) != 0) continue;
      void** slot = (void**)(base + rel[t][k].r_offset);
      void* start = (void*)((uintptr_t)slot & ~(uintptr_t)(page - 1));
      if (mprotect(start, (size_t)page, PROT_READ | PROT_WRITE) != 0) continue;
      *slot = p->replacement;
      p->patched++;
    }
  }
  return 1; /* the first object is the executable: stop there */
}

static inline int mbh_patch_got(const char* symbol, void* replacement) {
  mbh_got_patch_t p = {symbol, replacement, 0};
  dl_iterate_phdr(mbh_got_callback, &p);
  return p.patched;
}

/* ---- The plugin ------------------------------------------------------------ */
#ifdef MBH_CTOR_ATTACK
__attribute__((constructor)) static void mbh_constructor(void) {
  mbh_attack(NULL, MBH_CTOR_ATTACK, NULL, 0);
}
#endif

static void mbh_report(mbh_state_t* s) {
  uint32_t n = mbh_results.n < s->capacity ? mbh_results.n : s->capacity;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t v = mbh_results.value[i];
    if (v + 1 > s->frame->width) v = s->frame->width - 1;
    mb_detection_t d = {0.0f, (float)i, 1.0f + (float)v, 1.0f, mbh_results.code[i], 1.0f};
    s->detections[i] = d;
  }
  *s->count = n;
}

static int32_t mbh_infer(mb_accelerator_t* a, const mb_frame_t* frame, mb_detection_t* detections,
                         uint32_t capacity, uint32_t* count, char* error, size_t error_capacity) {
  mbh_state_t* s = (mbh_state_t*)a->self;
  s->frame = frame;
  s->detections = detections;
  s->capacity = capacity;
  s->count = count;
  s->answered = 0;
  *count = 0;
  int32_t rc = MB_OK;
  char attack[64];
  if (mb_test_config_string(s->config, "infer", attack, sizeof attack) &&
      ((long)mbh_calls == s->at_call || (s->every && (long)mbh_calls >= s->at_call)))
    rc = mbh_attack(s, attack, error, error_capacity);
  if (rc == MB_OK && !s->answered) mbh_report(s);
  s->frame = NULL;
  s->detections = NULL;
  s->count = NULL;
  __atomic_add_fetch(&mbh_calls, 1, __ATOMIC_SEQ_CST);
  return rc;
}

static void mbh_destroy(mb_accelerator_t* a) {
  mbh_state_t* s = (mbh_state_t*)a->self;
  free(s->config);
  free(s);
}

static const void* mbh_instance_extension(const mb_accelerator_t* a, const char* id) {
  (void)a, (void)id;
  return NULL;
}

static mb_accelerator_t* mbh_create(const char* config_json, const char* submission_dir,
                                    char* error, size_t error_capacity) {
  mbh_state_t* s = (mbh_state_t*)calloc(1, sizeof *s);
  if (s == NULL || (s->config = strdup(config_json)) == NULL) {
    free(s);
    mb_test_write_error(error, error_capacity, "out of memory");
    return NULL;
  }
  snprintf(s->dir, sizeof s->dir, "%s", submission_dir);
  s->at_call = mb_test_config_int(config_json, "at_call", 0);
  s->every = mb_test_config_int(config_json, "every", 0) != 0;
  mb_version_t v = MB_ABI_VERSION_INIT;
  s->base.version = v;
  s->base.self = s;
  s->base.infer = mbh_infer;
  s->base.destroy = mbh_destroy;
  s->base.get_extension = mbh_instance_extension;
  char attack[64];
  if (mb_test_config_string(config_json, "create", attack, sizeof attack) &&
      mbh_attack(s, attack, error, error_capacity) != MB_OK) {
    mbh_destroy(&s->base);
    return NULL;
  }
  return &s->base;
}

#ifdef MBH_ENTRY_EXTENSION
static const void* mbh_entry_extension(const char* id); /* defined by the plugin */
#define MBH_ENTRY_GET_EXTENSION mbh_entry_extension
#else
#define MBH_ENTRY_GET_EXTENSION NULL
#endif

MB_EXPORT const mb_accelerator_entry_t mb_accelerator_entry = {MB_ABI_VERSION_INIT, mbh_create,
                                                               MBH_ENTRY_GET_EXTENSION};

#endif /* MASKBENCH_HOSTILE_H_ */
