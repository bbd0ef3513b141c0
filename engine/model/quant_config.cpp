#include "engine/model/quant_config.h"

#include <algorithm>
#include <cctype>

#include "engine/util/error.h"

namespace pagoda {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Field access with errors naming "<where>: quantization_config.<field>".
class QuantFields {
 public:
  QuantFields(const Json& q, std::string where) : q_(q), where_(std::move(where)) {}
  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw Error(where_ + ": quantization_config." + field + " " + what);
  }
  const Json* find(std::initializer_list<const char*> names) const {
    for (const char* n : names) {
      auto it = q_.find(n);
      if (it != q_.end() && !it->is_null()) return &*it;
    }
    return nullptr;
  }
  int64_t integer(std::initializer_list<const char*> names, int64_t fallback) const {
    const Json* v = find(names);
    if (!v) return fallback;
    if (!v->is_number_integer()) fail(*names.begin(), "must be an integer, not " + v->dump());
    return v->get<int64_t>();
  }
  bool boolean(std::initializer_list<const char*> names, bool fallback) const {
    const Json* v = find(names);
    if (!v) return fallback;
    if (!v->is_boolean()) fail(*names.begin(), "must be true or false, not " + v->dump());
    return v->get<bool>();
  }
  std::string text(std::initializer_list<const char*> names, const std::string& fallback) const {
    const Json* v = find(names);
    if (!v) return fallback;
    if (!v->is_string()) fail(*names.begin(), "must be a string, not " + v->dump());
    return lower(v->get<std::string>());
  }

 private:
  const Json& q_;
  std::string where_;
};

void read_awq(const QuantFields& f, QuantConfig& c) {
  c.bits = static_cast<int>(f.integer({"bits", "w_bit"}, 4));
  if (c.bits != 4) f.fail("bits", "is " + std::to_string(c.bits) + "; AWQ is supported at 4 bits");
  const int64_t g = f.integer({"group_size", "q_group_size"}, 128);
  if (g <= 0 || g % 8 != 0 || g > 65536)
    f.fail("group_size", "is " + std::to_string(g) + "; AWQ needs a positive multiple of 8");
  c.group_size = static_cast<int>(g);
  c.zero_point = f.boolean({"zero_point"}, true);
  if (!c.zero_point) f.fail("zero_point", "is false; AWQ is supported with zero points only");
  const std::string version = f.text({"version"}, "gemm");
  if (version != "gemm")
    f.fail("version", "is '" + version + "'; only the GEMM packing of AWQ is supported");
}

void read_gptq(const QuantFields& f, QuantConfig& c) {
  c.bits = static_cast<int>(f.integer({"bits"}, 4));
  if (c.bits != 4 && c.bits != 8)
    f.fail("bits", "is " + std::to_string(c.bits) + "; GPTQ is supported at 4 and 8 bits");
  const int64_t g = f.integer({"group_size"}, 128);
  if (g == -1) {
    c.group_size = 0;
  } else if (g <= 0 || g % 8 != 0 || g > 65536) {
    f.fail("group_size", "is " + std::to_string(g) + "; GPTQ needs -1 or a positive multiple of 8");
  } else {
    c.group_size = static_cast<int>(g);
  }
  c.desc_act = f.boolean({"desc_act"}, false);
  c.zero_point = !f.boolean({"sym"}, true);
  const std::string format = f.text({"checkpoint_format", "format"}, "gptq");
  if (format == "gptq_v2") {
    c.gptq_v2 = true;
  } else if (format != "gptq") {
    f.fail("checkpoint_format",
           "is '" + format + "'; the gptq and gptq_v2 checkpoint formats are supported");
  }
  if (const Json* d = f.find({"dynamic"}); d && !(d->is_object() && d->empty()))
    f.fail("dynamic", "(per-module overrides) is not supported");
}

void read_fp8(const QuantFields& f, QuantConfig& c) {
  c.bits = 8;
  const std::string fmt = f.text({"fmt"}, "e4m3");
  if (fmt != "e4m3") f.fail("fmt", "is '" + fmt + "'; FP8 weights are supported as e4m3");
  const std::string act = f.text({"activation_scheme"}, "dynamic");
  if (act != "dynamic" && act != "static")
    f.fail("activation_scheme", "is '" + act + "'; dynamic and static are supported");
  if (const Json* b = f.find({"weight_block_size"})) {
    if (!b->is_array() || b->size() != 2 || !(*b)[0].is_number_integer() ||
        !(*b)[1].is_number_integer() || (*b)[0].get<int64_t>() <= 0 ||
        (*b)[1].get<int64_t>() <= 0 || (*b)[0].get<int64_t>() > 65536 ||
        (*b)[1].get<int64_t>() > 65536)
      f.fail("weight_block_size", "is " + b->dump() + "; expected [rows, columns] like [128, 128]");
    c.fp8_block_n = (*b)[0].get<int>();
    c.fp8_block_k = (*b)[1].get<int>();
  }
}

}  // namespace

QuantConfig QuantConfig::from_json(const Json& config, const std::string& where) {
  QuantConfig c;
  auto it = config.find("quantization_config");
  if (it == config.end() || it->is_null()) return c;
  if (!it->is_object()) throw Error(where + ": quantization_config must be an object");
  QuantFields f(*it, where);
  const std::string method = f.text({"quant_method"}, "");
  if (method == "awq") {
    c.method = QuantMethod::Awq;
    read_awq(f, c);
  } else if (method == "gptq") {
    c.method = QuantMethod::Gptq;
    read_gptq(f, c);
  } else if (method == "fp8") {
    c.method = QuantMethod::Fp8;
    read_fp8(f, c);
  } else {
    f.fail("quant_method", "is '" + method + "'; supported: awq, gptq, fp8");
  }
  if (const Json* m = f.find({"modules_to_not_convert"})) {
    if (!m->is_array()) f.fail("modules_to_not_convert", "must be a list of module names");
    for (const Json& name : *m) {
      if (!name.is_string()) f.fail("modules_to_not_convert", "holds " + name.dump());
      c.modules_to_not_convert.push_back(name.get<std::string>());
    }
  }
  return c;
}

bool QuantConfig::converts(const std::string& module) const {
  if (!quantized() || module.find("layers.") == std::string::npos) return false;
  // transformers matches these as substrings of the module name.
  return std::none_of(modules_to_not_convert.begin(), modules_to_not_convert.end(),
                      [&](const std::string& m) { return module.find(m) != std::string::npos; });
}

std::string QuantConfig::describe() const {
  const std::string group =
      group_size > 0 ? "group " + std::to_string(group_size) : std::string("per channel");
  switch (method) {
    case QuantMethod::None:
      return "";
    case QuantMethod::Awq:
      return "AWQ " + std::to_string(bits) + "-bit, " + group;
    case QuantMethod::Gptq:
      return "GPTQ " + std::to_string(bits) + "-bit, " + (desc_act ? "act order, " : "") + group;
    case QuantMethod::Fp8:
      return fp8_block_n > 0 ? "FP8 e4m3, blocks " + std::to_string(fp8_block_n) + "x" +
                                   std::to_string(fp8_block_k)
                             : std::string("FP8 e4m3, per tensor");
  }
  return "";
}

int64_t QuantConfig::linear_bytes(int64_t n, int64_t k) const {
  if (method == QuantMethod::Fp8) {
    const int64_t scales =
        fp8_block_n > 0 ? ((n + fp8_block_n - 1) / fp8_block_n) * ((k + fp8_block_k - 1) / fp8_block_k)
                        : 1;
    return n * k + 4 * scales;
  }
  if (method == QuantMethod::None) return 2 * n * k;
  const int64_t groups = group_size > 0 ? (k + group_size - 1) / group_size : 1;
  int64_t bytes = n * k * bits / 8 + groups * n * 2 + groups * n * bits / 8;  // weights, scales, zeros
  if (method == QuantMethod::Gptq) bytes += 4 * k;                              // g_idx
  return bytes;
}

}  // namespace pagoda
