// The leaderboard page's files (web-export/page/*), embedded into the library at
// build time by cmake/embed_assets.cmake so `leaderboard --html` needs no data files.
// Thread-safety: read-only data.
#pragma once

#include <cstddef>
#include <vector>

namespace maskbench::web_export::internal {

struct PageAsset {
  const char* name;  // file name inside the page folder, e.g. "app.js"
  const char* data;  // the file's bytes (not NUL-terminated)
  size_t size;
};

// Every embedded page file, in a fixed order.
const std::vector<PageAsset>& PageAssets();

}  // namespace maskbench::web_export::internal
