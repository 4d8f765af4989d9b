#include "maskbench/contest/identity.h"

#include <nlohmann/json.hpp>
#include <set>

#include "maskbench/core/files.h"
#include "maskbench/core/text.h"

namespace maskbench::contest {

std::string UnchangedTemplateReason(const harness::Submission& s) {
  if (s.name == kTemplateName && s.team == kTemplateTeam)
    return "it is the unchanged template (name \"" + s.name + "\", team \"" + s.team +
           "\"): set your own name and team in submission.json (or use `maskbench new`)";
  return "";
}

bool ValidTeamId(const std::string& id) {
  if (id.empty() || id.size() > 64 || id[0] == '.') return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

Result<std::vector<RosterTeam>> LoadRoster(const std::filesystem::path& file) {
  Result<std::string> text = ReadFile(file);
  if (!text.ok()) return text.status();
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("teams") || !j["teams"].is_array())
    return Status::Corruption(file.string(), "expected {\"teams\": [{\"team_id\", ...}]}");
  std::vector<RosterTeam> out;
  std::set<std::string> ids, folders;
  for (size_t i = 0; i < j["teams"].size(); ++i) {
    const nlohmann::json& t = j["teams"][i];
    const std::string where = "teams[" + std::to_string(i) + "]";
    if (!t.is_object() || !t.contains("team_id") || !t["team_id"].is_string())
      return Status::Corruption(file.string(), where + ": needs a string \"team_id\"");
    RosterTeam r;
    r.team_id = t["team_id"].get<std::string>();
    if (!ValidTeamId(r.team_id))
      return Status::InvalidArgument(file.string(), where + ": team_id \"" +
                                                        SanitizeText(r.team_id) +
                                                        "\" must be 1-64 of A-Z a-z 0-9 . _ -");
    auto str = [&](const char* key, const std::string& fallback) -> Result<std::string> {
      if (!t.contains(key)) return fallback;
      if (!t[key].is_string())
        return Status::Corruption(file.string(), where + ": \"" + key + "\" must be a string");
      return t[key].get<std::string>();
    };
    Result<std::string> name = str("display_name", r.team_id);
    Result<std::string> folder = str("folder", r.team_id);
    Result<std::string> track = str("track", "");
    for (const auto* v : {&name, &folder, &track})
      if (!v->ok()) return v->status();
    r.display_name = SanitizeText(*name, {.max_bytes = 128});
    r.folder = *folder;
    r.track = *track;
    // A folder is one name inside the submissions folder: never a path out of it.
    if (r.folder.empty() || r.folder == "." || r.folder == ".." ||
        r.folder.find('/') != std::string::npos || r.folder.find('\\') != std::string::npos ||
        r.folder.find('\0') != std::string::npos)
      return Status::InvalidArgument(
          file.string(), where + ": folder \"" + SanitizeText(r.folder, {.max_bytes = 128}) +
                             "\" is not a folder name inside the submissions folder");
    if (!ids.insert(r.team_id).second)
      return Status::InvalidArgument(file.string(),
                                     where + ": team_id \"" + r.team_id + "\" twice");
    if (!folders.insert(r.folder).second)
      return Status::InvalidArgument(file.string(), where + ": folder \"" + r.folder + "\" twice");
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace maskbench::contest
