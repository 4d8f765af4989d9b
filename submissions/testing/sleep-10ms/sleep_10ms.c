/* sleep-10ms: each infer sleeps until 10 ms (config "us", in microseconds) after
 * it began, with clock_nanosleep on an absolute CLOCK_MONOTONIC deadline, and
 * returns no detections. */
#define _POSIX_C_SOURCE 200809L
#include "simple_plugin.h"
#include "test_sleep.h"

static int32_t mb_test_infer(mb_test_state_t* s, const mb_frame_t* frame,
                             mb_detection_t* detections, uint32_t capacity, uint32_t* count,
                             char* error, size_t error_capacity) {
  (void)frame, (void)detections, (void)capacity, (void)error, (void)error_capacity;
  mb_test_sleep_us(mb_test_config_int(s->config, "us", 10000));
  *count = 0;
  return MB_OK;
}
