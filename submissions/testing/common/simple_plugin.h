/* A C skeleton shared by the misbehaving test plugins: each plugin defines
 * mb_test_infer() (and, with MB_TEST_HAS_EXTENSION defined, mb_test_extension())
 * and includes this file once. The instance keeps the config JSON and a call counter. */
#ifndef MASKBENCH_SIMPLE_PLUGIN_H_
#define MASKBENCH_SIMPLE_PLUGIN_H_

#include <stdlib.h>
#include <string.h>

#include "maskbench/accelerator.h"
#include "test_config.h"

typedef struct mb_test_state {
  mb_accelerator_t base;
  char* config;
  uint64_t calls;
} mb_test_state_t;

static int32_t mb_test_infer(mb_test_state_t* s, const mb_frame_t* frame,
                             mb_detection_t* detections, uint32_t capacity, uint32_t* count,
                             char* error, size_t error_capacity);

static int32_t mb_test_infer_trampoline(mb_accelerator_t* a, const mb_frame_t* frame,
                                        mb_detection_t* detections, uint32_t capacity,
                                        uint32_t* count, char* error, size_t error_capacity) {
  mb_test_state_t* s = (mb_test_state_t*)a->self;
  int32_t rc = mb_test_infer(s, frame, detections, capacity, count, error, error_capacity);
  s->calls++;
  return rc;
}

static void mb_test_destroy(mb_accelerator_t* a) {
  mb_test_state_t* s = (mb_test_state_t*)a->self;
  free(s->config);
  free(s);
}

#ifdef MB_TEST_HAS_EXTENSION
/* The plugin defines its instance extensions. */
static const void* mb_test_extension(const mb_accelerator_t* a, const char* id);
static const void* mb_test_instance_extension(const mb_accelerator_t* a, const char* id) {
  return mb_test_extension(a, id);
}
#else
static const void* mb_test_instance_extension(const mb_accelerator_t* a, const char* id) {
  (void)a;
  (void)id;
  return NULL;
}
#endif

static mb_accelerator_t* mb_test_create(const char* config_json, const char* submission_dir,
                                        char* error, size_t error_capacity) {
  (void)submission_dir;
  mb_test_state_t* s = (mb_test_state_t*)calloc(1, sizeof *s);
  if (s == NULL) {
    mb_test_write_error(error, error_capacity, "out of memory");
    return NULL;
  }
  size_t n = strlen(config_json);
  s->config = (char*)malloc(n + 1);
  if (s->config == NULL) {
    free(s);
    mb_test_write_error(error, error_capacity, "out of memory");
    return NULL;
  }
  memcpy(s->config, config_json, n + 1);
  mb_version_t v = MB_ABI_VERSION_INIT;
  s->base.version = v;
  s->base.self = s;
  s->base.infer = mb_test_infer_trampoline;
  s->base.destroy = mb_test_destroy;
  s->base.get_extension = mb_test_instance_extension;
  return &s->base;
}

#ifndef MB_TEST_ENTRY_VERSION
#define MB_TEST_ENTRY_VERSION MB_ABI_VERSION_INIT
#endif

MB_EXPORT const mb_accelerator_entry_t mb_accelerator_entry = {MB_TEST_ENTRY_VERSION,
                                                               mb_test_create, NULL};

#endif /* MASKBENCH_SIMPLE_PLUGIN_H_ */
