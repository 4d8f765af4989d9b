/* batch: implements maskbench.batch/1. Each call (infer or infer_batch) sleeps
 * "us" microseconds (config, default 10000) once, however many frames it gets,
 * so Offline throughput grows with the batch. Every frame gets one detection in
 * the middle of the frame whose score encodes the frame's sequence number:
 * score = (sequence % 100 + 1) / 128, so a test can check frame order.
 * Config: "max_batch" (default 8); "nan_at": sequence number whose box is NaN;
 * "crash_at": sequence number at which infer_batch dereferences NULL;
 * "fail_at": sequence number at which infer_batch returns MB_ERR_INTERNAL. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>

#define MB_TEST_HAS_EXTENSION
#include "simple_plugin.h"
#include "test_sleep.h"

static void one_frame(const mb_test_state_t* s, const mb_frame_t* frame, mb_detection_t* out,
                      uint32_t capacity, uint32_t* count) {
  *count = 1;
  if (capacity == 0) return;
  mb_detection_t d;
  d.x = frame->width / 4.0f;
  d.y = frame->height / 4.0f;
  d.w = frame->width / 2.0f;
  d.h = frame->height / 2.0f;
  d.class_id = 0;
  d.score = (float)(frame->sequence % 100 + 1) / 128.0f;
  if ((long)frame->sequence == mb_test_config_int(s->config, "nan_at", -1)) d.w = NAN;
  out[0] = d;
}

static int32_t mb_test_infer(mb_test_state_t* s, const mb_frame_t* frame,
                             mb_detection_t* detections, uint32_t capacity, uint32_t* count,
                             char* error, size_t error_capacity) {
  (void)error, (void)error_capacity;
  mb_test_sleep_us(mb_test_config_int(s->config, "us", 10000));
  one_frame(s, frame, detections, capacity, count);
  return MB_OK;
}

static uint32_t batch_max(const mb_accelerator_t* a) {
  const mb_test_state_t* s = (const mb_test_state_t*)a->self;
  return (uint32_t)mb_test_config_int(s->config, "max_batch", 8);
}

static int32_t batch_infer(mb_accelerator_t* a, const mb_frame_t* frames, uint32_t frame_count,
                           mb_detection_t* detections, uint32_t capacity_per_frame,
                           uint32_t* counts, char* error, size_t error_capacity) {
  mb_test_state_t* s = (mb_test_state_t*)a->self;
  s->calls++;
  mb_test_sleep_us(mb_test_config_int(s->config, "us", 10000));
  for (uint32_t i = 0; i < frame_count; ++i) {
    const long seq = (long)frames[i].sequence;
    if (seq == mb_test_config_int(s->config, "crash_at", -1)) {
      volatile int* null_pointer = NULL;
      *null_pointer = 1;
    }
    if (seq == mb_test_config_int(s->config, "fail_at", -1)) {
      char text[64];
      snprintf(text, sizeof text, "refusing frame with sequence %ld", seq);
      mb_test_write_error(error, error_capacity, text);
      return MB_ERR_INTERNAL;
    }
    one_frame(s, &frames[i], detections + (size_t)i * capacity_per_frame, capacity_per_frame,
              &counts[i]);
  }
  return MB_OK;
}

static const mb_ext_batch_t kBatch = {batch_max, batch_infer};

static const void* mb_test_extension(const mb_accelerator_t* a, const char* id) {
  (void)a;
  return strcmp(id, MB_EXT_BATCH) == 0 ? &kBatch : NULL;
}
