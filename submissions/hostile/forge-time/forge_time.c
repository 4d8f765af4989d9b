/* forge-time: lies about its time through the shared control page, or blinds
 * the runner's clock, while really spending "work_us" (20000) per frame.
 *
 * infer attacks (config "infer", with "every": 1):
 *   "forge_after": works, then answers in the runner's place (response_seq =
 *     request_seq, futex wake) with infer_ns = "forge_ns" (1000) and no
 *     detection, then lingers "linger_us" (5000) so the runner's true answer
 *     comes after the parent has read the forged one;
 *   "forge_early": answers at once with the forged time, then works;
 *   "forge_harness_error": answers with the runner's "bad request" result and
 *     an error text of its own, as if the harness had failed;
 *   "work": only works (for the constructor attack).
 * constructor (-DMBH_CTOR_ATTACK="patch_clock"): points the runner's GOT slot
 *   of clock_gettime at a clock that always reads 0 (step: SUCCEEDED, value =
 *   slots patched). The plugin's own clock_gettime calls are unaffected.
 * The control page is found from the detection buffer, which follows it. */
#include <limits.h>
#include <linux/futex.h>

#include "hostile.h"

extern const size_t mbh_control_bytes;
extern const size_t mbh_off_request_seq, mbh_off_response_seq, mbh_off_result, mbh_off_count,
    mbh_off_has_cycles, mbh_off_infer_ns, mbh_off_error, mbh_error_capacity;

static int fake_clock_gettime(clockid_t id, struct timespec* ts) {
  (void)id;
  ts->tv_sec = 0;
  ts->tv_nsec = 0;
  return 0;
}

static void forge(char* ctl, int64_t ns, uint32_t result) {
  *(uint32_t*)(ctl + mbh_off_result) = result;
  *(uint32_t*)(ctl + mbh_off_count) = 0;
  *(uint32_t*)(ctl + mbh_off_has_cycles) = 0;
  *(int64_t*)(ctl + mbh_off_infer_ns) = ns;
  uint32_t* request = (uint32_t*)(ctl + mbh_off_request_seq);
  uint32_t* response = (uint32_t*)(ctl + mbh_off_response_seq);
  __atomic_store_n(response, __atomic_load_n(request, __ATOMIC_SEQ_CST), __ATOMIC_SEQ_CST);
  syscall(SYS_futex, response, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static int32_t mbh_attack(mbh_state_t* s, const char* attack, char* error, size_t capacity) {
  (void)error, (void)capacity;
  if (strcmp(attack, "patch_clock") == 0) {
    int n = mbh_patch_got("clock_gettime", (void*)fake_clock_gettime);
    mbh_step(n > 0 ? MBH_SUCCEEDED : MBH_BLOCKED, (uint32_t)n);
    return MB_OK;
  }
  if (s == NULL || s->detections == NULL) return MB_OK;
  const long work_us = mbh_int(s, "work_us", 20000);
  const int64_t forged = mbh_int(s, "forge_ns", 1000);
  char* ctl = (char*)s->detections - mbh_control_bytes;
  const int have_ctl = *(const uint32_t*)ctl == 0x4d42524eu; /* "MBRN" */
  if (strcmp(attack, "forge_early") == 0 && have_ctl) {
    forge(ctl, forged, 0);
    mbh_sleep_us(work_us);
    s->answered = 1;
  } else if (strcmp(attack, "forge_after") == 0 && have_ctl) {
    mbh_sleep_us(work_us);
    forge(ctl, forged, 0);
    mbh_sleep_us(mbh_int(s, "linger_us", 5000));
    s->answered = 1;
  } else if (strcmp(attack, "forge_harness_error") == 0 && have_ctl) {
    snprintf(ctl + mbh_off_error, mbh_error_capacity, "the harness lost the shared memory");
    forge(ctl, 0, 7 /* kChildBadRequest: "the request made no sense (harness bug)" */);
    for (;;) mbh_sleep_us(1000000); /* the parent ends the run */
  } else {
    mbh_sleep_us(work_us);
  }
  return MB_OK;
}
