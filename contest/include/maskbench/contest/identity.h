// Who an entry is. The judge names an entry by its folder (the team id), or by
// a roster file; the name and team in a submission.json are display names
// only. Organiser references are named by the rules. The unchanged template
// (its own name and team) is refused. Pure and thread-safe.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "maskbench/core/status.h"
#include "maskbench/harness/submission.h"

namespace maskbench::contest {

// The template's own claims (submissions/template/submission.json).
inline constexpr const char* kTemplateName = "template";
inline constexpr const char* kTemplateTeam = "your-team";

// Non-empty (the reason) when `s` still claims the template's name and team.
std::string UnchangedTemplateReason(const harness::Submission& s);

struct RosterTeam {
  std::string team_id;       // letters, digits, '-', '_', '.'
  std::string display_name;  // shown on the page
  std::string folder;        // the sub-folder of the submissions folder it entered
  std::string track;         // "" = every track it qualifies for
};

// A roster (`teams.json`): {"teams": [{"team_id", "display_name", "folder",
// "track"}]}; "folder" defaults to the team id, "display_name" to it too.
// Errors name the file and the record; team ids and folders are unique.
Result<std::vector<RosterTeam>> LoadRoster(const std::filesystem::path& file);

// True when `id` is a valid team id (1-64 of [A-Za-z0-9._-], not starting with '.').
bool ValidTeamId(const std::string& id);

}  // namespace maskbench::contest
