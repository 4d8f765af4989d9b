/* nan-boxes: one valid detection, then one whose x is NaN. */
#include <math.h>

#include "simple_plugin.h"

static int32_t mb_test_infer(mb_test_state_t* s, const mb_frame_t* frame,
                             mb_detection_t* detections, uint32_t capacity, uint32_t* count,
                             char* error, size_t error_capacity) {
  (void)s, (void)error, (void)error_capacity;
  if (capacity < 2) return MB_ERR_INVALID_ARGUMENT;
  mb_detection_t good = {1.0f, 1.0f, frame->width / 4.0f, frame->height / 4.0f, 0, 0.8f};
  mb_detection_t bad = good;
  bad.x = NAN;
  detections[0] = good;
  detections[1] = bad;
  *count = 2;
  return MB_OK;
}
