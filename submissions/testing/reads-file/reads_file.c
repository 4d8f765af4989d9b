/* reads-file: on every infer, tries to open the file named by config "path"
 * for reading (as a cheat would open the judge's labels). Under the harness's
 * sandbox the open fails with EACCES and infer returns no detection; without it
 * the open succeeds and infer returns one detection. */
#include <stdio.h>

#include "simple_plugin.h"

static int32_t mb_test_infer(mb_test_state_t* s, const mb_frame_t* frame,
                             mb_detection_t* detections, uint32_t capacity, uint32_t* count,
                             char* error, size_t error_capacity) {
  (void)error, (void)error_capacity;
  char path[1024] = "/etc/hostname";
  mb_test_config_string(s->config, "path", path, sizeof path);
  *count = 0;
  FILE* f = fopen(path, "r");
  if (f == NULL) return MB_OK;
  fclose(f);
  if (capacity > 0) {
    detections[0].x = 0;
    detections[0].y = 0;
    detections[0].w = frame->width > 1 ? 1.0f : 0.5f;
    detections[0].h = frame->height > 1 ? 1.0f : 0.5f;
    detections[0].class_id = 0;
    detections[0].score = 1.0f;
    *count = 1;
  }
  return MB_OK;
}
