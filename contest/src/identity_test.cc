#include "maskbench/contest/identity.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace maskbench::contest {
namespace {

namespace fs = std::filesystem;

class RosterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() /
        ("maskbench_roster_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path Write(const std::string& text) {
    const fs::path p = dir_ / "teams.json";
    std::ofstream(p) << text;
    return p;
  }
  fs::path dir_;
};

TEST_F(RosterTest, LoadsTeamsWithDefaults) {
  Result<std::vector<RosterTeam>> r = LoadRoster(Write(
      R"({"teams": [{"team_id": "volt", "display_name": "Team Volt", "folder": "volt-final"},
                    {"team_id": "npu-7", "track": "modeled"}]})"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].team_id, "volt");
  EXPECT_EQ((*r)[0].display_name, "Team Volt");
  EXPECT_EQ((*r)[0].folder, "volt-final");
  EXPECT_EQ((*r)[1].display_name, "npu-7");
  EXPECT_EQ((*r)[1].folder, "npu-7");
  EXPECT_EQ((*r)[1].track, "modeled");
}

TEST_F(RosterTest, RefusesFoldersOutsideTheSubmissionsFolder) {
  for (const char* folder : {"../other", "/etc", "a/b", "..", "."}) {
    Result<std::vector<RosterTeam>> r = LoadRoster(
        Write(std::string(R"({"teams": [{"team_id": "t", "folder": ")") + folder + "\"}]}"));
    ASSERT_FALSE(r.ok()) << folder;
    EXPECT_NE(r.status().ToString().find("teams.json"), std::string::npos);
    EXPECT_NE(r.status().ToString().find("is not a folder name inside the submissions folder"),
              std::string::npos)
        << r.status().ToString();
  }
}

TEST_F(RosterTest, RefusesDuplicatesAndBadIdsNamingTheRecord) {
  Result<std::vector<RosterTeam>> dup =
      LoadRoster(Write(R"({"teams": [{"team_id": "a"}, {"team_id": "a", "folder": "b"}]})"));
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().ToString().find("teams[1]"), std::string::npos) << dup.status().ToString();
  EXPECT_NE(dup.status().ToString().find("twice"), std::string::npos);
  Result<std::vector<RosterTeam>> same_folder = LoadRoster(
      Write(R"({"teams": [{"team_id": "a", "folder": "x"}, {"team_id": "b", "folder": "x"}]})"));
  ASSERT_FALSE(same_folder.ok());
  EXPECT_NE(same_folder.status().ToString().find("folder \"x\" twice"), std::string::npos);
  Result<std::vector<RosterTeam>> bad = LoadRoster(Write(R"({"teams": [{"team_id": "a b"}]})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().ToString().find("teams[0]"), std::string::npos);
  Result<std::vector<RosterTeam>> shape = LoadRoster(Write(R"([1, 2])"));
  ASSERT_FALSE(shape.ok());
  Result<std::vector<RosterTeam>> broken = LoadRoster(Write("{\"teams\": ["));
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().ToString().find("teams.json"), std::string::npos);
}

TEST(TeamIdTest, AcceptsOnlyTheDocumentedAlphabet) {
  EXPECT_TRUE(ValidTeamId("volt"));
  EXPECT_TRUE(ValidTeamId("npu-7_a.b"));
  EXPECT_FALSE(ValidTeamId(""));
  EXPECT_FALSE(ValidTeamId(".hidden"));
  EXPECT_FALSE(ValidTeamId("a b"));
  EXPECT_FALSE(ValidTeamId(std::string(65, 'a')));
  EXPECT_FALSE(ValidTeamId("caf\xc3\xa9"));
}

}  // namespace
}  // namespace maskbench::contest
