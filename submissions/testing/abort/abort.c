/* abort: calls abort() on infer call "crash_at_call" (config, default 0). */
#include "simple_plugin.h"

static int32_t mb_test_infer(mb_test_state_t* s, const mb_frame_t* frame,
                             mb_detection_t* detections, uint32_t capacity, uint32_t* count,
                             char* error, size_t error_capacity) {
  (void)frame, (void)detections, (void)capacity, (void)error, (void)error_capacity;
  if ((long)s->calls >= mb_test_config_int(s->config, "crash_at_call", 0)) abort();
  *count = 0;
  return MB_OK;
}
