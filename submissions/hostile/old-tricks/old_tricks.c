/* old-tricks: the misbehaviour the runner already survived, kept under test
 * (config "infer", at "at_call", "every": 1 where noted).
 *   "nan" / "huge" / "outside" / "overflow": a NaN x, a 1e30 wide box, a box
 *     100 px left of the frame, *count = capacity + 1
 *   "rewrite" (every): one valid box; a thread writes NaN over it whenever
 *     infer() is not running, i.e. while the parent reads the answer
 *   "garbage": random bytes over the whole control page, once
 *   "garbage_thread": a thread writing random bytes over it without end
 *     (infer returns once the thread has covered the page once and gone on
 *     for 20 ms more: a thread that never got a CPU before the run ended
 *     would prove nothing, and a parent that waits in 5 ms futex slices must
 *     wake while the answer word is still scribbled)
 *   "sigstop": SIGSTOP to itself (also from create)
 *   "pixels_rw": mprotect the (read-only) pixel slot writable and write a
 *     byte into it (step SUCCEEDED if that worked) */
#include <math.h>
#include <pthread.h>
#include <signal.h>

#include "hostile.h"

static mb_detection_t* volatile shared_dets;
static volatile int in_infer;
static char* volatile ctl_page;
static size_t ctl_bytes;
static volatile int scribbled; /* the scribbler covered the page once */

/* The control page precedes the detection buffer in the same mapping: the
 * first page below it that starts with the magic "MBRN" (any protocol
 * version from 3 on). */
static char* find_control(void* detections) {
  uintptr_t p = ((uintptr_t)detections & ~(uintptr_t)4095) - 4096;
  for (int i = 0; i < 1024; ++i, p -= 4096) {
    const uint32_t* w = (const uint32_t*)p;
    if (w[0] == 0x4d42524eu && w[1] >= 3 && w[1] < 100) {
      ctl_bytes = (uintptr_t)detections - p;
      return (char*)p;
    }
  }
  return NULL;
}

static void fill_random(char* p, size_t n) {
  static uint64_t x = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    p[i] = (char)x;
  }
}

static void* rewriter(void* arg) {
  (void)arg;
  for (uint64_t k = 0;; ++k) {
    mb_detection_t* d = shared_dets;
    if (d != NULL && !in_infer) d[0].x = (k & 1) ? NAN : 1.0f;
  }
  return NULL;
}

static void* scribbler(void* arg) {
  (void)arg;
  for (;;) {
    fill_random(ctl_page, ctl_bytes);
    __atomic_store_n(&scribbled, 1, __ATOMIC_SEQ_CST);
  }
  return NULL;
}

static int32_t mbh_attack(mbh_state_t* s, const char* a, char* error, size_t capacity) {
  (void)error, (void)capacity;
  if (strcmp(a, "sigstop") == 0) kill(getpid(), SIGSTOP);
  if (s == NULL || s->detections == NULL) return MB_OK;
  const mb_frame_t* f = s->frame;
  mb_detection_t good = {1.0f, 1.0f, f->width / 4.0f, f->height / 4.0f, 0, 0.5f};
  mb_detection_t* d = s->detections;
  pthread_t t;
  if (strcmp(a, "nan") == 0 || strcmp(a, "huge") == 0 || strcmp(a, "outside") == 0) {
    d[0] = good;
    if (a[0] == 'n') d[0].x = NAN;
    if (a[0] == 'h') d[0].w = 1e30f;
    if (a[0] == 'o') d[0].x = -100.0f;
    *s->count = 1;
    s->answered = 1;
  } else if (strcmp(a, "overflow") == 0) {
    for (uint32_t i = 0; i < s->capacity; ++i) d[i] = good;
    *s->count = s->capacity + 1;
    s->answered = 1;
  } else if (strcmp(a, "rewrite") == 0) {
    in_infer = 1;
    if (shared_dets == NULL) {
      shared_dets = d;
      pthread_create(&t, NULL, rewriter, NULL);
    }
    d[0] = good;
    *s->count = 1;
    s->answered = 1;
    in_infer = 0;
  } else if (strcmp(a, "garbage") == 0 || strcmp(a, "garbage_thread") == 0) {
    char* ctl = find_control(d);
    if (ctl == NULL) return MB_OK;
    ctl_page = ctl;
    if (a[7] == '\0') {
      fill_random(ctl, ctl_bytes);
    } else if (pthread_create(&t, NULL, scribbler, NULL) == 0) {
      while (!__atomic_load_n(&scribbled, __ATOMIC_SEQ_CST)) mbh_sleep_us(100);
      for (int i = 0; i < 40; ++i) mbh_sleep_us(500);
    }
    s->answered = 1;
  } else if (strcmp(a, "pixels_rw") == 0) {
    uintptr_t start = (uintptr_t)f->pixels & ~(uintptr_t)4095;
    size_t len = (uintptr_t)f->pixels + (size_t)f->stride * f->height - start;
    if (mprotect((void*)start, len, PROT_READ | PROT_WRITE) != 0) {
      mbh_step(MBH_BLOCKED, (uint32_t)errno);
    } else {
      ((volatile uint8_t*)f->pixels)[0] ^= 0xff;
      mbh_step(MBH_SUCCEEDED, 0);
    }
  }
  return MB_OK;
}
