// Where the reference network's files live and how they are checked.
//
// The build copies reference/model/{refnet.onnx, refnet.onnx.sha256,
// refnet-int8.json} next to each reference plugin, so a plugin finds them in its
// submission directory. Pure functions; thread-safe.
#pragma once

#include <filesystem>
#include <string>

#include "maskbench/core/status.h"

namespace maskbench::reference {

inline constexpr const char* kOnnxFileName = "refnet.onnx";
inline constexpr const char* kOnnxShaFileName = "refnet.onnx.sha256";
inline constexpr const char* kInt8ParamsFileName = "refnet-int8.json";

// The expected SHA-256 of `dir/refnet.onnx`, read from `dir/refnet.onnx.sha256`
// ("<64 hex>  refnet.onnx").
Result<std::string> ReadExpectedOnnxSha256(const std::filesystem::path& dir);

// Ok when `dir/refnet.onnx` hashes to the value in `dir/refnet.onnx.sha256`.
Status VerifyOnnx(const std::filesystem::path& dir);

}  // namespace maskbench::reference
