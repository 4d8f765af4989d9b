/* wrong-abi: a plugin whose entry claims ABI 99.0.0. */
#define MB_TEST_ENTRY_VERSION \
  { 99, 0, 0 }
#include "simple_plugin.h"

static int32_t mb_test_infer(mb_test_state_t* s, const mb_frame_t* frame,
                             mb_detection_t* detections, uint32_t capacity, uint32_t* count,
                             char* error, size_t error_capacity) {
  (void)s, (void)frame, (void)detections, (void)capacity, (void)error, (void)error_capacity;
  *count = 0;
  return MB_OK;
}
