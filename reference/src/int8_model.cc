#include "maskbench/reference/int8_model.h"

#include <map>
#include <nlohmann/json.hpp>

#include "maskbench/core/files.h"
#include "maskbench/reference/postprocess.h"

namespace maskbench::reference {
namespace {

using json = nlohmann::json;
inline constexpr const char* kFormat = "maskbench.reference-int8";
inline constexpr int kFormatVersion = 1;

template <typename T>
Status Get(const json& j, const char* key, T* out, const std::string& origin,
           const std::string& where) {
  if (!j.is_object() || !j.contains(key))
    return Status::Corruption(origin, where + ": missing \"" + key + "\"");
  try {
    *out = j.at(key).get<T>();
  } catch (const json::exception&) {
    return Status::Corruption(origin, where + ": \"" + key + "\" has the wrong type");
  }
  return Status::Ok();
}

}  // namespace

int8_t Requantize(int32_t acc, int32_t multiplier, int32_t shift, bool relu) {
  const int n = 31 + shift;  // checked at load: 1 <= n <= 62
  const int64_t prod = static_cast<int64_t>(acc) * multiplier;
  const int64_t half = int64_t{1} << (n - 1);
  int64_t q = prod >= 0 ? (prod + half) >> n : -((-prod + half) >> n);
  const int64_t lo = relu ? 0 : -128;
  if (q < lo) q = lo;
  if (q > 127) q = 127;
  return static_cast<int8_t>(q);
}

int64_t Int8Model::Macs() const {
  int64_t macs = 0;
  for (const Int8Layer& l : layers) {
    if (l.op != Int8Layer::Op::kConv) continue;
    const Int8Tensor& o = tensors[l.output];
    macs += int64_t{o.channels} * o.height * o.width * l.in_channels * l.kernel * l.kernel;
  }
  return macs;
}

int64_t Int8Model::Parameters() const {
  int64_t n = 0;
  for (const Int8Layer& l : layers) n += static_cast<int64_t>(l.weights.size() + l.bias.size());
  return n;
}

Result<Int8Model> LoadInt8Model(const std::filesystem::path& path) {
  const std::string origin = path.string();
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  json j;
  try {
    j = json::parse(*text);
  } catch (const json::exception& e) {
    return Status::Corruption(origin, std::string("not JSON: ") + e.what());
  }
  std::string format;
  int version = 0;
  MB_RETURN_IF_ERROR(Get(j, "format", &format, origin, "params"));
  if (format != kFormat)
    return Status::Corruption(origin,
                              "\"format\" is \"" + format + "\", expected \"" + kFormat + "\"");
  MB_RETURN_IF_ERROR(Get(j, "format_version", &version, origin, "params"));
  if (version != kFormatVersion)
    return Status::Unsupported(origin, "format_version " + std::to_string(version) + ", expected " +
                                           std::to_string(kFormatVersion));
  Int8Model m;
  MB_RETURN_IF_ERROR(Get(j, "onnx_sha256", &m.onnx_sha256, origin, "params"));
  if (!j.contains("tensors") || !j["tensors"].is_array() || j["tensors"].empty())
    return Status::Corruption(origin, "\"tensors\" must be a non-empty array");
  std::map<std::string, int> index;
  for (size_t i = 0; i < j["tensors"].size(); ++i) {
    const json& jt = j["tensors"][i];
    const std::string where = "tensor " + std::to_string(i);
    Int8Tensor t;
    std::vector<int> shape;
    MB_RETURN_IF_ERROR(Get(jt, "name", &t.name, origin, where));
    MB_RETURN_IF_ERROR(Get(jt, "shape", &shape, origin, where));
    MB_RETURN_IF_ERROR(Get(jt, "scale", &t.scale, origin, where));
    if (shape.size() != 3 || shape[0] <= 0 || shape[1] <= 0 || shape[2] <= 0)
      return Status::Corruption(origin, where + " (" + t.name + "): shape must be [C, H, W] > 0");
    t.channels = shape[0];
    t.height = shape[1];
    t.width = shape[2];
    if (index.count(t.name))
      return Status::Corruption(origin, where + ": duplicate name " + t.name);
    index[t.name] = static_cast<int>(i);
    m.tensors.push_back(t);
  }
  const Int8Tensor& in = m.tensors[0];
  if (in.channels != 3 || in.height != kInputSize || in.width != kInputSize ||
      in.scale != 1.0 / 128)
    return Status::Corruption(origin, "tensor 0 must be the input: [3, 320, 320], scale 1/128");

  auto tensor_of = [&](const json& name, const std::string& where, int* out) -> Status {
    if (!name.is_string() || !index.count(name.get<std::string>()))
      return Status::Corruption(origin, where + ": unknown tensor " + name.dump());
    *out = index[name.get<std::string>()];
    return Status::Ok();
  };
  if (!j.contains("layers") || !j["layers"].is_array())
    return Status::Corruption(origin, "\"layers\" must be an array");
  std::vector<bool> written(m.tensors.size(), false);
  written[0] = true;
  for (size_t li = 0; li < j["layers"].size(); ++li) {
    const json& jl = j["layers"][li];
    Int8Layer l;
    std::string op;
    MB_RETURN_IF_ERROR(Get(jl, "name", &l.name, origin, "layer " + std::to_string(li)));
    const std::string where = "layer " + std::to_string(li) + " (" + l.name + ")";
    MB_RETURN_IF_ERROR(Get(jl, "op", &op, origin, where));
    if (!jl.contains("inputs") || !jl["inputs"].is_array() || jl["inputs"].empty())
      return Status::Corruption(origin, where + ": \"inputs\" must be a non-empty array");
    for (const json& n : jl["inputs"]) {
      int t = 0;
      MB_RETURN_IF_ERROR(tensor_of(n, where, &t));
      if (!written[t])
        return Status::Corruption(origin, where + ": input " + n.dump() + " is not computed yet");
      l.inputs.push_back(t);
    }
    if (!jl.contains("output")) return Status::Corruption(origin, where + ": missing \"output\"");
    MB_RETURN_IF_ERROR(tensor_of(jl["output"], where, &l.output));
    if (written[l.output]) return Status::Corruption(origin, where + ": output written twice");
    written[l.output] = true;
    const Int8Tensor& o = m.tensors[l.output];
    const Int8Tensor& i0 = m.tensors[l.inputs[0]];
    if (op == "conv") {
      l.op = Int8Layer::Op::kConv;
      if (l.inputs.size() != 1) return Status::Corruption(origin, where + ": conv takes one input");
      MB_RETURN_IF_ERROR(Get(jl, "kernel", &l.kernel, origin, where));
      MB_RETURN_IF_ERROR(Get(jl, "stride", &l.stride, origin, where));
      MB_RETURN_IF_ERROR(Get(jl, "pad", &l.pad, origin, where));
      MB_RETURN_IF_ERROR(Get(jl, "relu", &l.relu, origin, where));
      MB_RETURN_IF_ERROR(Get(jl, "requantize", &l.requantize, origin, where));
      MB_RETURN_IF_ERROR(Get(jl, "weights", &l.weights, origin, where));
      MB_RETURN_IF_ERROR(Get(jl, "bias", &l.bias, origin, where));
      l.in_channels = i0.channels;
      l.out_channels = o.channels;
      if (l.kernel < 1 || l.stride < 1 || l.pad < 0 ||
          (i0.height + 2 * l.pad - l.kernel) / l.stride + 1 != o.height ||
          (i0.width + 2 * l.pad - l.kernel) / l.stride + 1 != o.width)
        return Status::Corruption(
            origin, where + ": kernel/stride/pad do not map the input shape to the output shape");
      if (l.weights.size() !=
          static_cast<size_t>(l.out_channels) * l.in_channels * l.kernel * l.kernel)
        return Status::Corruption(
            origin, where + ": " + std::to_string(l.weights.size()) + " weights, expected O*I*K*K");
      if (l.bias.size() != static_cast<size_t>(l.out_channels))
        return Status::Corruption(origin, where + ": bias needs one value per output channel");
      for (int8_t w : l.weights)
        if (w == -128)
          return Status::Corruption(origin,
                                    where + ": weight -128 (symmetric range is [-127, 127])");
      if (l.requantize) {
        MB_RETURN_IF_ERROR(Get(jl, "multiplier", &l.multiplier, origin, where));
        MB_RETURN_IF_ERROR(Get(jl, "shift", &l.shift, origin, where));
        if (l.multiplier.size() != static_cast<size_t>(l.out_channels) ||
            l.shift.size() != l.multiplier.size())
          return Status::Corruption(origin,
                                    where + ": multiplier/shift need one value per output channel");
        for (size_t c = 0; c < l.multiplier.size(); ++c) {
          if (l.multiplier[c] < (int32_t{1} << 30) || l.shift[c] < -30 || l.shift[c] > 31)
            return Status::Corruption(
                origin, where + ": channel " + std::to_string(c) +
                            ": multiplier must be in [2^30, 2^31) and shift in [-30, 31]");
        }
        if (o.scale <= 0)
          return Status::Corruption(origin, where + ": requantized output needs a scale > 0");
      } else {
        MB_RETURN_IF_ERROR(Get(jl, "output_scale", &l.output_scale, origin, where));
        if (l.output_scale.size() != static_cast<size_t>(l.out_channels))
          return Status::Corruption(origin,
                                    where + ": output_scale needs one value per output channel");
        if (l.relu) return Status::Corruption(origin, where + ": an int32 output cannot have relu");
      }
    } else if (op == "upsample2x") {
      l.op = Int8Layer::Op::kUpsample2x;
      if (l.inputs.size() != 1 || o.channels != i0.channels || o.height != 2 * i0.height ||
          o.width != 2 * i0.width || o.scale != i0.scale)
        return Status::Corruption(
            origin, where + ": upsample2x needs one input of half the size and the same scale");
    } else if (op == "concat") {
      l.op = Int8Layer::Op::kConcat;
      int channels = 0;
      for (int t : l.inputs) {
        const Int8Tensor& ti = m.tensors[t];
        if (ti.height != o.height || ti.width != o.width || ti.scale != o.scale)
          return Status::Corruption(
              origin, where + ": concat input " + ti.name + " differs in size or scale");
        channels += ti.channels;
      }
      if (channels != o.channels)
        return Status::Corruption(origin, where + ": concat channel count mismatch");
    } else {
      return Status::Corruption(origin, where + ": unknown op \"" + op + "\"");
    }
    m.layers.push_back(std::move(l));
  }
  std::string output;
  MB_RETURN_IF_ERROR(Get(j, "output", &output, origin, "params"));
  if (!index.count(output))
    return Status::Corruption(origin, "output tensor " + output + " is unknown");
  m.output = index[output];
  const Int8Tensor& o = m.tensors[m.output];
  if (o.channels != kHeadChannels || o.height != kGrid || o.width != kGrid)
    return Status::Corruption(origin, "output must be [7, 80, 80]");
  bool found = false;
  for (const Int8Layer& l : m.layers)
    if (l.output == m.output) found = l.op == Int8Layer::Op::kConv && !l.requantize;
  if (!found)
    return Status::Corruption(origin, "output must be written by a conv without requantize");
  return m;
}

}  // namespace maskbench::reference
