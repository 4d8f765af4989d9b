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
#include "maskbench/core/process.h"

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
    // A kit that cannot link: a build that passes every check fails at the link.
    fs::create_directories(dir_ / "kit");
    std::ofstream(dir_ / "kit" / "model.json") << "{}";
    std::ofstream(dir_ / "kit" / "glue.cc") << "#error not a glue\n";
    std::ofstream(dir_ / "kit" / "exports.map") << "{ local: *; };\n";
    kit_.model = dir_ / "kit" / "model.json";
    kit_.glue = dir_ / "kit" / "glue.cc";
    kit_.exports_map = dir_ / "kit" / "exports.map";
    kit_.cxx = "c++";
    options_.synthesize = false;
    options_.sandbox = RtlBuildOptions::Sandbox::kBestEffort;
  }
  void TearDown() override { fs::remove_all(dir_); }
  bool HaveVerilator() { return RunCommand({"verilator", "--version"}).exit_code == 0; }

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
    Result<RtlBuildResult> r = BuildRtl(dir_, dir_ / "out", kit_, options_);
    return r.ok() ? "built" : r.status().message();
  }

  fs::path dir_;
  RtlKit kit_;
  RtlBuildOptions options_;
};

constexpr const char* kPassed = "does not match the interface";  // every check passed

TEST_F(RtlBuildTest, TheExampleDesignPassesTheChecks) {
  if (!HaveVerilator()) GTEST_SKIP() << "verilator is not installed";
  const char* root = std::getenv("MASKBENCH_SOURCE_DIR");
  ASSERT_NE(root, nullptr);
  Result<std::string> design = ReadFile(fs::path(root) / "submissions/rtl-npu/rtl/npu_top.v");
  ASSERT_TRUE(design.ok()) << design.status().ToString();
  // Past every check, the build stops at the link with the fake kit.
  const std::string msg = Refusal(*design);
  EXPECT_NE(msg.find(kPassed), std::string::npos) << msg;
}

TEST_F(RtlBuildTest, FileSystemAndCodeInjectingConstructsAreRefused) {
  if (!HaveVerilator()) GTEST_SKIP() << "verilator is not installed";
  const std::string m = "module npu_top(input wire clk, output reg o);\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {m + "integer f; initial f = $fopen(\"x\", \"r\"); endmodule", "the system task $fopen"},
      {m + "initial $c(\"system(0);\"); endmodule", "the system task $c"},
      {m + "initial $c8(\"0\"); endmodule", "the system task $c8"},
      // Macros that build the refused things: checked after expansion.
      {"`define C c\n" + m + "initial $`C(\"system(0);\"); endmodule", "the system task $c"},
      {"`define D $\n`define C c\n" + m + "initial `D`C(\"0\"); endmodule", "the system task $c"},
      {"`define P(a,b) a``b\n(* `P(black,box) *) module x(input wire a); endmodule\n" + m +
           "endmodule",
       "the word \"blackbox\""},
      {m + "reg [7:0] r [0:3]; initial $readmemh(\"x\", r); endmodule",
       "the system task $readmemh"},
      {"`include \"/etc/shadow\"\n" + m + "endmodule", "`include"},
      {m + "import \"DPI-C\" function int f(); endmodule", "the word \"DPI\""},
      {m + "initial if ($test$plusargs(\"x\")) o = 1; endmodule", "the system task $test"},
      {m + "wire \\bad$name ; endmodule", "an escaped identifier"},
      {"(* blackbox *) module x(input wire a); endmodule\n" + m + "endmodule",
       "the word \"blackbox\""},
      {m + "/*verilator public_flat_rw*/ endmodule", "the metacomment"},
      {m + "initial $display(\"\xc3\xa9\"); endmodule", "a non-ASCII byte"},
      {std::string("module m; \0 endmodule", 21), "a NUL byte"},
      {"module u(input wire clk); reg r; always @(posedge clk) r <= ~r; endmodule\n" + m +
           "u u0(.clk(clk)); always @(posedge clk) o <= u0.r; endmodule",
       "the hierarchical reference u0.r"},
      {"module LUT6(output wire O, input wire I0); assign O = I0; endmodule\n" + m + "endmodule",
       "a module named like the primitive LUT6"},
      {m + "initial o = $root.npu_top.o; endmodule", "the system task $root"},
  };
  for (const auto& [text, why] : cases) {
    const std::string msg = Refusal(text);
    EXPECT_NE(msg.find(why), std::string::npos) << text << "\n  -> " << msg;
    EXPECT_EQ(msg.find(kPassed), std::string::npos) << text;
  }
}

TEST_F(RtlBuildTest, OrdinaryVerilogPasses) {
  if (!HaveVerilator()) GTEST_SKIP() << "verilator is not installed";
  // Include guards, macros of macros, comments that name refused things, words
  // that merely contain refused ones; `ifdef verilator is resolved once, for both tools.
  const std::string ok =
      "`ifndef NPU_VH\n`define NPU_VH\n`timescale 1ns/1ps\n`default_nettype none\n"
      "`define W 8\n`define W2 (`W*2)\n"
      "// a comment may say $fopen, `include, DPI, blackbox, verilator or systemc\n"
      "module npu_top(input wire clk, output reg [`W2-1:0] o);\n"
      "  /* verilator lint_off UNUSEDSIGNAL */ wire systemclk = clk;"
      " /* verilator lint_on UNUSEDSIGNAL */\n"
      "`ifdef verilator\n  always @(posedge clk) o <= o + 16'd1;\n`else\n"
      "  always @(posedge clk) o <= 0;\n`endif\n"
      "  initial $display(\"ready: 1.5 ms\");\n"
      "endmodule\n`default_nettype wire\n`endif\n";
  const std::string msg = Refusal(ok);
  EXPECT_NE(msg.find(kPassed), std::string::npos) << msg;
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
