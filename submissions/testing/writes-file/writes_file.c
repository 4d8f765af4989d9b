/* writes-file: on every infer, tries to create and write the file named by
 * config "path" (default /tmp/maskbench-writes-file.txt). Under the harness's
 * sandbox the open() kills the process (sandbox_violation); without it the
 * write succeeds and infer returns no detections. */
#include <stdio.h>

#include "simple_plugin.h"

static int32_t mb_test_infer(mb_test_state_t* s, const mb_frame_t* frame,
                             mb_detection_t* detections, uint32_t capacity, uint32_t* count,
                             char* error, size_t error_capacity) {
  (void)frame, (void)detections, (void)capacity;
  char path[1024] = "/tmp/maskbench-writes-file.txt";
  mb_test_config_string(s->config, "path", path, sizeof path);
  FILE* f = fopen(path, "w");
  if (f == NULL) {
    mb_test_write_error(error, error_capacity, "could not open the file for writing");
    return MB_ERR_IO;
  }
  fputs("a submission wrote this\n", f);
  fclose(f);
  *count = 0;
  return MB_OK;
}
