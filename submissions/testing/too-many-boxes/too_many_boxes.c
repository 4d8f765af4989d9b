/* too-many-boxes: fills the buffer with valid boxes and reports 50 more than fit. */
#include "simple_plugin.h"

static int32_t mb_test_infer(mb_test_state_t* s, const mb_frame_t* frame,
                             mb_detection_t* detections, uint32_t capacity, uint32_t* count,
                             char* error, size_t error_capacity) {
  (void)s, (void)error, (void)error_capacity;
  for (uint32_t i = 0; i < capacity; ++i) {
    mb_detection_t d = {(float)(i % frame->width), 0.0f, 1.0f, 1.0f, 1, 0.5f};
    detections[i] = d;
  }
  *count = capacity + 50;
  return MB_OK;
}
