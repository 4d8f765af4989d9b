/* Compiled as C11 with -Wall -Wextra -pedantic -Werror: the ABI header is pure C.
 * Reports the layout the C compiler sees, compared with C++ in abi_test.cc. */
#include <stddef.h>

#include "maskbench/accelerator.h"

size_t mb_test_c_layout(size_t index);

size_t mb_test_c_layout(size_t index) {
  const size_t layout[] = {
      sizeof(mb_version_t),
      sizeof(mb_frame_t),
      offsetof(mb_frame_t, sequence),
      sizeof(mb_detection_t),
      offsetof(mb_detection_t, class_id),
      sizeof(mb_accelerator_t),
      offsetof(mb_accelerator_t, infer),
      offsetof(mb_accelerator_t, get_extension),
      sizeof(mb_accelerator_entry_t),
      offsetof(mb_accelerator_entry_t, create),
      sizeof(mb_ext_cycles_t),
      sizeof(mb_ext_batch_t),
      sizeof(mb_ext_describe_t),
      (size_t)mb_version_is_compatible((mb_version_t)MB_ABI_VERSION_INIT),
  };
  return index < sizeof(layout) / sizeof(layout[0]) ? layout[index] : (size_t)-1;
}
