/* sleep-10ms: each infer sleeps until 10 ms (config "us", in microseconds) after
 * it began, with clock_nanosleep on an absolute CLOCK_MONOTONIC deadline, and
 * returns no detections. */
#define _POSIX_C_SOURCE 200809L
#include <time.h>

#include "simple_plugin.h"

static int32_t mb_test_infer(mb_test_state_t* s, const mb_frame_t* frame, mb_detection_t* detections,
                             uint32_t capacity, uint32_t* count, char* error, size_t error_capacity) {
  (void)frame, (void)detections, (void)capacity, (void)error, (void)error_capacity;
  const long us = mb_test_config_int(s->config, "us", 10000);
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_nsec += (us % 1000000) * 1000;
  deadline.tv_sec += us / 1000000 + deadline.tv_nsec / 1000000000;
  deadline.tv_nsec %= 1000000000;
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) != 0) {
  }
  *count = 0;
  return MB_OK;
}
