// malloc-bomb: written with the C++ helper. Each infer allocates and touches
// "chunk_mb" (config, default 64) MiB blocks and keeps them until allocation
// fails; std::bad_alloc becomes MB_ERR_OUT_OF_MEMORY at the boundary.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "maskbench/accelerator.hpp"
#include "test_config.h"

class MallocBomb {
 public:
  MallocBomb(const std::string& config, const std::filesystem::path&)
      : chunk_(static_cast<size_t>(mb_test_config_int(config.c_str(), "chunk_mb", 64)) << 20) {}

  std::vector<mb_detection_t> Infer(const maskbench::abi::Frame&) {
    for (;;) {
      std::unique_ptr<char[]> block(new char[chunk_]);
      std::memset(block.get(), 0x5a, chunk_);
      hoard_.push_back(std::move(block));
    }
  }

 private:
  size_t chunk_;
  std::vector<std::unique_ptr<char[]>> hoard_;
};

MASKBENCH_EXPORT_ACCELERATOR(MallocBomb)
