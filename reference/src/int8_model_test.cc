#include "maskbench/reference/int8_model.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "maskbench/core/files.h"

namespace maskbench::reference {
namespace {

TEST(RequantizeTest, RoundsHalfAwayFromZero) {
  const int32_t half = int32_t{1} << 30;          // multiplier 2^30 with shift 0 -> x / 2
  EXPECT_EQ(Requantize(3, half, 0, false), 2);    // 1.5 -> 2
  EXPECT_EQ(Requantize(-3, half, 0, false), -2);  // -1.5 -> -2
  EXPECT_EQ(Requantize(5, half, 0, false), 3);    // 2.5 -> 3
  EXPECT_EQ(Requantize(-5, half, 0, false), -3);  // -2.5 -> -3
  EXPECT_EQ(Requantize(4, half, 0, false), 2);
  EXPECT_EQ(Requantize(1001, half, 0, false), 127);    // saturates
  EXPECT_EQ(Requantize(-1001, half, 0, false), -128);  // saturates
  EXPECT_EQ(Requantize(-5, half, 0, true), 0);         // ReLU
  EXPECT_EQ(Requantize(7, half, 2, false), 1);         // 7 / 8 = 0.875 -> 1
  EXPECT_EQ(Requantize(3, half, 2, false), 0);         // 3 / 8 = 0.375 -> 0
  EXPECT_EQ(Requantize(3, half, -1, false), 3);        // shift -1: x * 1
}

// A minimal params document: input -> 1x1 conv (3 -> 7) at stride 4 -> head.
nlohmann::json TinyParams() {
  nlohmann::json j;
  j["format"] = "maskbench.reference-int8";
  j["format_version"] = 1;
  j["onnx_sha256"] = std::string(64, 'a');
  j["tensors"] = {{{"name", "input"}, {"shape", {3, 320, 320}}, {"scale", 1.0 / 128}},
                  {{"name", "head"}, {"shape", {7, 80, 80}}, {"scale", 0.0}}};
  j["layers"] = {{{"name", "head"},
                  {"op", "conv"},
                  {"inputs", {"input"}},
                  {"output", "head"},
                  {"kernel", 1},
                  {"stride", 4},
                  {"pad", 0},
                  {"relu", false},
                  {"requantize", false},
                  {"weights", std::vector<int>(21, 1)},
                  {"bias", std::vector<int>(7, 0)},
                  {"output_scale", std::vector<float>(7, 0.5f)}}};
  j["output"] = "head";
  return j;
}

std::filesystem::path WriteTemp(const std::string& name, const nlohmann::json& j) {
  const std::filesystem::path p = std::filesystem::temp_directory_path() /
                                  ("mb_ref_" + std::to_string(::getpid()) + "_" + name);
  EXPECT_TRUE(WriteFileAtomic(p, j.dump()).ok());
  return p;
}

TEST(LoadInt8ModelTest, LoadsAValidFile) {
  Result<Int8Model> m = LoadInt8Model(WriteTemp("ok.json", TinyParams()));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(m->Macs(), 7LL * 80 * 80 * 3);
  EXPECT_EQ(m->Parameters(), 28);
}

TEST(LoadInt8ModelTest, RejectsBadFilesWithTheFileAndProblem) {
  nlohmann::json j = TinyParams();
  j["layers"][0]["weights"] = std::vector<int>(20, 1);
  Result<Int8Model> m = LoadInt8Model(WriteTemp("w.json", j));
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("w.json"), std::string::npos);
  EXPECT_NE(m.status().message().find("layer 0 (head)"), std::string::npos);

  j = TinyParams();
  j["layers"][0]["stride"] = 2;  // 320 -> 160, not 80
  EXPECT_FALSE(LoadInt8Model(WriteTemp("s.json", j)).ok());

  j = TinyParams();
  j["layers"][0]["inputs"] = {"nope"};
  m = LoadInt8Model(WriteTemp("n.json", j));
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("unknown tensor"), std::string::npos);

  j = TinyParams();
  j["format"] = "other";
  EXPECT_FALSE(LoadInt8Model(WriteTemp("f.json", j)).ok());

  EXPECT_FALSE(LoadInt8Model("/nonexistent/refnet-int8.json").ok());
}

}  // namespace
}  // namespace maskbench::reference
