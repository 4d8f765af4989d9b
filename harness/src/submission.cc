#include "maskbench/harness/submission.h"

#include <nlohmann/json.hpp>
#include <vector>

#include "maskbench/core/files.h"

namespace maskbench::harness {
namespace fs = std::filesystem;

namespace {

Status ReadMetadata(const fs::path& file, Submission* s, std::string* plugin_name) {
  Result<std::string> text = ReadFile(file);
  if (!text.ok()) return text.status();
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return Status::Corruption(file.string(), "not a JSON object");
  auto text_field = [&](const char* key, std::string* out) -> Status {
    if (!j.contains(key)) return Status::Ok();
    if (!j[key].is_string())
      return Status::Corruption(file.string(), std::string("\"") + key + "\" must be a string");
    *out = j[key].get<std::string>();
    return Status::Ok();
  };
  MB_RETURN_IF_ERROR(text_field("name", &s->name));
  MB_RETURN_IF_ERROR(text_field("team", &s->team));
  MB_RETURN_IF_ERROR(text_field("version", &s->version));
  MB_RETURN_IF_ERROR(text_field("latency_kind", &s->latency_kind));
  MB_RETURN_IF_ERROR(text_field("plugin", plugin_name));
  if (s->latency_kind != "measured" && s->latency_kind != "modeled")
    return Status::Corruption(
        file.string(),
        "\"latency_kind\" must be \"measured\" or \"modeled\", not \"" + s->latency_kind + "\"");
  if (j.contains("config")) {
    if (!j["config"].is_object())
      return Status::Corruption(file.string(), "\"config\" must be a JSON object");
    s->config_json = j["config"].dump();
  }
  return Status::Ok();
}

}  // namespace

Result<Submission> LoadSubmission(const fs::path& so_or_dir) {
  std::error_code ec;
  const fs::path path = fs::absolute(so_or_dir, ec).lexically_normal();
  if (!fs::exists(path, ec)) return Status::NotFound(so_or_dir.string(), "no such file or folder");
  Submission s;
  std::string plugin_name;
  if (fs::is_directory(path, ec)) {
    s.dir = path;
    if (!s.dir.has_filename()) s.dir = s.dir.parent_path();
    s.name = s.dir.filename().string();
    const fs::path meta = s.dir / kSubmissionMetadataFile;
    if (fs::exists(meta, ec)) MB_RETURN_IF_ERROR(ReadMetadata(meta, &s, &plugin_name));
    if (!plugin_name.empty()) {
      s.plugin = s.dir / plugin_name;
      if (!fs::is_regular_file(s.plugin, ec))
        return Status::NotFound(meta.string(),
                                "\"plugin\" names " + s.plugin.string() + ", which does not exist");
    } else {
      std::vector<fs::path> found;
      for (const auto& entry : fs::directory_iterator(s.dir, ec))
        if (entry.is_regular_file() && entry.path().extension() == ".so")
          found.push_back(entry.path());
      if (found.empty()) return Status::NotFound(s.dir.string(), "no plugin (.so) in this folder");
      if (found.size() > 1)
        return Status::InvalidArgument(s.dir.string(),
                                       "more than one .so here; name the plugin in " +
                                           std::string(kSubmissionMetadataFile) + " (\"plugin\")");
      s.plugin = found[0];
    }
  } else {
    s.plugin = path;
    s.dir = path.parent_path();
    s.name = path.stem().string();
    const fs::path meta = s.dir / kSubmissionMetadataFile;
    if (fs::exists(meta, ec)) MB_RETURN_IF_ERROR(ReadMetadata(meta, &s, &plugin_name));
  }
  return s;
}

}  // namespace maskbench::harness
