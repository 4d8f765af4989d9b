// Frame sources the contest feeds to the runner: a data set's frame cache, and
// a subset of another source (the audits' sequences). Read-only after
// construction: Get() and Check() are safe from any thread.
#pragma once

#include <memory>
#include <vector>

#include "maskbench/datasets/frame_cache.h"
#include "maskbench/harness/frame_source.h"

namespace maskbench::contest {

// The frames of a datasets::FrameCache, in cache order, ids from the cache;
// Check() verifies a frame's pixels against the cache's checksum.
class FrameCacheSource : public harness::FrameSource {
 public:
  explicit FrameCacheSource(std::unique_ptr<datasets::FrameCache> cache)
      : cache_(std::move(cache)) {}
  size_t size() const override { return cache_->size(); }
  harness::FrameRef Get(size_t i) const override;
  Status Check(size_t i) const override { return cache_->Verify(i); }

 private:
  std::unique_ptr<datasets::FrameCache> cache_;
};

// The frames of `base` at `indices`, in that order (repeats allowed).
class SubsetSource : public harness::FrameSource {
 public:
  SubsetSource(const harness::FrameSource& base, std::vector<size_t> indices)
      : base_(base), indices_(std::move(indices)) {}
  size_t size() const override { return indices_.size(); }
  harness::FrameRef Get(size_t i) const override { return base_.Get(indices_[i]); }
  Status Check(size_t i) const override { return base_.Check(indices_[i]); }

 private:
  const harness::FrameSource& base_;
  std::vector<size_t> indices_;
};

}  // namespace maskbench::contest
