/* init-fails: create() fails with a message, as when weights are missing. */
#include "maskbench/accelerator.h"
#include "test_config.h"

static mb_accelerator_t* create(const char* config_json, const char* submission_dir, char* error,
                                size_t error_capacity) {
  (void)config_json, (void)submission_dir;
  mb_test_write_error(error, error_capacity, "weights.bin not found in the submission folder");
  return NULL;
}

MB_EXPORT const mb_accelerator_entry_t mb_accelerator_entry = {MB_ABI_VERSION_INIT, create, NULL};
