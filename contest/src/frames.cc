#include "maskbench/contest/frames.h"

#include "maskbench/accelerator.h"

namespace maskbench::contest {

harness::FrameRef FrameCacheSource::Get(size_t i) const {
  const datasets::FrameView v = cache_->Get(i);
  harness::FrameRef r;
  r.data = v.data;
  r.width = v.width;
  r.height = v.height;
  r.stride = v.stride;
  r.pixel_format = MB_PIXEL_FORMAT_BGR8;
  r.frame_id = v.frame_id;
  return r;
}

}  // namespace maskbench::contest
