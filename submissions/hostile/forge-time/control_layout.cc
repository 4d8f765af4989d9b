// Where the runner's answer lives in the shared control page, taken from the
// harness's own protocol header (as a contestant reading the source would), for
// the C code of forge-time.
#include <cstddef>
#include <cstdint>

#include "shm_protocol.h"

namespace {
using maskbench::harness::internal::ShmControl;
}  // namespace

extern "C" {
extern const size_t mbh_control_bytes;
extern const size_t mbh_off_request_seq, mbh_off_response_seq, mbh_off_result, mbh_off_count,
    mbh_off_has_cycles, mbh_off_infer_ns, mbh_off_error, mbh_error_capacity;
const size_t mbh_control_bytes = maskbench::harness::internal::RoundUpToPage(sizeof(ShmControl));
const size_t mbh_off_request_seq = offsetof(ShmControl, request_seq);
const size_t mbh_off_response_seq = offsetof(ShmControl, response_seq);
const size_t mbh_off_result = offsetof(ShmControl, result);
const size_t mbh_off_count = offsetof(ShmControl, count);
const size_t mbh_off_has_cycles = offsetof(ShmControl, has_cycles);
const size_t mbh_off_infer_ns = offsetof(ShmControl, infer_ns);
const size_t mbh_off_error = offsetof(ShmControl, error);
const size_t mbh_error_capacity = maskbench::harness::internal::kErrorCapacity;
}
