// throws: a raw-ABI plugin (no helper) whose infer lets a C++ exception escape
// the C boundary on call "throw_at_call" (config, default 0).
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "maskbench/accelerator.h"
#include "test_config.h"

namespace {

struct State {
  mb_accelerator_t base;
  long throw_at;
  long calls;
};

int32_t Infer(mb_accelerator_t* a, const mb_frame_t*, mb_detection_t*, uint32_t, uint32_t* count,
              char*, size_t) {
  auto* s = static_cast<State*>(a->self);
  if (s->calls++ >= s->throw_at)
    throw std::runtime_error("throws: infer gave up on frame " + std::to_string(s->calls - 1));
  *count = 0;
  return MB_OK;
}

void Destroy(mb_accelerator_t* a) { delete static_cast<State*>(a->self); }

const void* Extension(const mb_accelerator_t*, const char*) { return nullptr; }

mb_accelerator_t* Create(const char* config, const char*, char*, size_t) {
  auto* s = new State{};
  s->base.version = MB_ABI_VERSION_INIT;
  s->base.self = s;
  s->base.infer = Infer;
  s->base.destroy = Destroy;
  s->base.get_extension = Extension;
  s->throw_at = mb_test_config_int(config, "throw_at_call", 0);
  return &s->base;
}

}  // namespace

extern "C" MB_EXPORT const mb_accelerator_entry_t mb_accelerator_entry = {MB_ABI_VERSION_INIT,
                                                                          Create, nullptr};
