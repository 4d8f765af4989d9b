/* noop: returns no detections, as fast as possible (harness overhead benchmark). */
#include "simple_plugin.h"

static int32_t mb_test_infer(mb_test_state_t* s, const mb_frame_t* frame,
                             mb_detection_t* detections, uint32_t capacity, uint32_t* count,
                             char* error, size_t error_capacity) {
  (void)s, (void)frame, (void)detections, (void)capacity, (void)error, (void)error_capacity;
  *count = 0;
  return MB_OK;
}
