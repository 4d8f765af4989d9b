// The RTL build's checks, before any tool runs: hostile sources and paths are
// refused with the file, the line and the reason (docs/rtl.md, "What a design
// may not do"); the example design passes them.
#include "maskbench/contest/rtl_build.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "maskbench/core/files.h"

namespace maskbench::contest {
namespace {

namespace fs = std::filesystem;

class RtlBuildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rtl-build-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "rtl");
    kit_.model = dir_ / "no-such-model.json";  // reached only when every check passed
    kit_.glue = dir_ / "no-such-glue.cc";
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& rel, const std::string& text) {
    fs::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel) << text;
  }
  void Meta(const std::string& sources_json) {
    Write("submission.json", R"({"kind": "rtl", "name": "t", "top": "npu_top", "clock_mhz": 200,
                               "sources": )" +
                                 sources_json + "}");
  }
  // The build's error for a design whose one source is `text`.
  std::string Refusal(const std::string& text) {
    Write("rtl/npu_top.v", text);
    Meta(R"(["rtl/npu_top.v"])");
    Result<RtlBuildResult> r = BuildRtl(dir_, dir_ / "out", kit_);
    return r.ok() ? "built" : r.status().message();
  }

  fs::path dir_;
  RtlKit kit_;
};

TEST_F(RtlBuildTest, TheExampleDesignPassesTheChecks) {
  const char* root = std::getenv("MASKBENCH_SOURCE_DIR");
  ASSERT_NE(root, nullptr);
  Result<std::string> design = ReadFile(fs::path(root) / "submissions/rtl-npu/rtl/npu_top.v");
  ASSERT_TRUE(design.ok()) << design.status().ToString();
  // Past every check, the build stops at the (missing) kit.
  EXPECT_NE(Refusal(*design).find("no-such-model.json"), std::string::npos) << Refusal(*design);
}

TEST_F(RtlBuildTest, FileSystemAndCodeInjectingConstructsAreRefused) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"module m; integer f; initial f = $fopen(\"/etc/passwd\", \"r\"); endmodule",
       "the system task $fopen"},
      {"module m; initial $c(\"system(\\\"id\\\");\"); endmodule", "the system task $c"},
      {"module m; initial $c8(\"x\"); endmodule", "the system task $c8"},
      {"module m; initial $readmemh(\"x\", m); endmodule", "the system task $readmemh"},
      {"`include \"/etc/shadow\"\nmodule m; endmodule", "`include"},
      {"module m; wire a``b; endmodule", "macro token pasting"},
      {"`define P(a,b) a``b\nmodule m; endmodule", "a ` inside the body of `define P"},
      {"`define S(x) `\"x`\"\nmodule m; endmodule", "a ` inside the body of `define S"},
      {"`define x 1\n`define BT(x) `x\nmodule m; endmodule", "a ` inside the body of `define BT"},
      {"`define L a \\\n b\nmodule m; endmodule", "continued over lines"},
      {"`define F $fopen\nmodule m; endmodule", "the system task $fopen"},
      {"`systemc_header\n#include <cstdlib>\n`systemc_header_end\n", "systemc"},
      {"module m; import \"DPI-C\" function int f(); endmodule", "DPI"},
      {"module m; initial if ($test$plusargs(\"x\")) ; endmodule", "the system task $test"},
      {"module m; wire \\$fopen ; endmodule", "an escaped identifier"},
      {"`ifdef VERILATOR\nmodule m; endmodule\n`endif\n", "VERILATOR"},
      {"`ifndef FOO\nmodule m; endmodule\n`endif\n", "a macro the sources do not define"},
      {"`FOO\nmodule m; endmodule", "undefined macro `FOO"},
      {"(* blackbox *) module m; endmodule", "\"blackbox\""},
      {"module m; // synthesis translate_off\nendmodule", "translate_off"},
      {"module m; /*verilator public_flat_rw*/ endmodule",
       "metacomment \"verilator public_flat_rw\""},
      {"module m; endmodule /* \xc3\xa9 */", "a non-ASCII byte"},
      {std::string("module m; \0 endmodule", 21), "NUL"},
  };
  for (const auto& [text, why] : cases) {
    const std::string msg = Refusal(text);
    EXPECT_NE(msg.find(why), std::string::npos) << text << "\n  -> " << msg;
    EXPECT_NE(msg.find("npu_top.v:"), std::string::npos) << "no file:line in: " << msg;
  }
}

TEST_F(RtlBuildTest, AllowedDirectivesAndLintMetacommentsPass) {
  const std::string ok =
      "`timescale 1ns/1ps\n`default_nettype none\n`define W 8\n`ifdef W\n"
      "module npu_top(input wire clk); /* verilator lint_off UNUSEDSIGNAL */ wire [`W-1:0] x;\n"
      "/* verilator lint_on UNUSEDSIGNAL */ endmodule\n`endif\n`default_nettype wire\n";
  EXPECT_NE(Refusal(ok).find("no-such-model.json"), std::string::npos) << Refusal(ok);
}

TEST_F(RtlBuildTest, SourcePathsMustBePlainAndInsideTheFolder) {
  Write("rtl/npu_top.v", "module npu_top; endmodule\n");
  Write("rtl/a$(shell id).v", "module a; endmodule\n");
  Write("rtl/x; yosys.v", "module x; endmodule\n");
  fs::create_directories(dir_ / "other");
  Write("other/v.v", "module v; endmodule\n");
  fs::create_directory_symlink(dir_ / "other", dir_ / "rtl" / "link");
  const std::pair<const char*, const char*> cases[] = {
      {R"(["rtl/a$(shell id).v"])", "each part of the path must be"},
      {R"(["rtl/x; yosys.v"])", "each part of the path must be"},
      {R"(["../rtl/npu_top.v"])", "each part of the path must be"},
      {R"(["/etc/passwd.v"])", "relative path inside the folder"},
      {R"(["rtl/link/v.v"])", "goes through a symlink"},
      {R"(["rtl/missing.v"])", "not a regular file"},
      {R"(["rtl"])", "not a regular file"},
  };
  for (const auto& [sources, why] : cases) {
    Meta(sources);
    Result<RtlSubmission> s = LoadRtlSubmission(dir_);
    ASSERT_FALSE(s.ok()) << sources;
    EXPECT_NE(s.status().message().find(why), std::string::npos)
        << sources << " -> " << s.status().message();
  }
}

TEST_F(RtlBuildTest, SubmissionJsonIsChecked) {
  Write("rtl/npu_top.v", "module npu_top; endmodule\n");
  const std::pair<const char*, const char*> cases[] = {
      {R"({"kind": "rtl", "top": "npu_top"})", "clock_mhz"},
      {R"({"kind": "rtl", "clock_mhz": 200})", "\"top\" is missing"},
      {R"({"kind": "rtl", "top": "a;b", "clock_mhz": 200})", "Verilog module name"},
      {R"({"kind": "rtl", "top": "t", "clock_mhz": 200, "name": "../x"})", "\"name\" must be"},
      {R"({"kind": "rtl", "top": "t", "clock_mhz": -1})", "(0, 5000]"},
      {R"({"kind": "rtl", "top": "t", "clock_mhz": 200, "config": {"clock_mhz": 9}})",
       "may not set clock_mhz"},
      {R"({"kind": "plugin"})", "is not \"rtl\""},
      {"{not json", "not JSON"},
  };
  for (const auto& [meta, why] : cases) {
    Write("submission.json", meta);
    Result<RtlSubmission> s = LoadRtlSubmission(dir_);
    ASSERT_FALSE(s.ok()) << meta;
    EXPECT_NE(s.status().message().find(why), std::string::npos)
        << meta << " -> " << s.status().message();
    EXPECT_NE(s.status().message().find("submission.json"), std::string::npos)
        << s.status().message();
  }
}

TEST(RtlBoardTest, BudgetsAndOverflowMessages) {
  Result<FpgaBoard> b = FindBoard("xc7z020");
  ASSERT_TRUE(b.ok());
  FpgaResources r;
  r.lut = 61200;
  r.dsp = 10;
  EXPECT_EQ(BoardOverflow(r, *b), "does not fit xc7z020: 61200 LUT > 53200");
  r.lut = 100;
  EXPECT_EQ(BoardOverflow(r, *b), "");
  Result<FpgaBoard> none = FindBoard("virtex-ultra");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("xc7z020"), std::string::npos);
}

}  // namespace
}  // namespace maskbench::contest
