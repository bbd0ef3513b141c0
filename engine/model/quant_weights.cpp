#include "engine/model/quant_weights.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "engine/util/error.h"

namespace pagoda {

namespace {

// AutoAWQ's GEMM packing stores output column 8c + kAwqOrder[p] in nibble p of word c.
constexpr int kAwqOrder[8] = {0, 2, 4, 6, 1, 3, 5, 7};

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string where(const TensorView& t) {
  return (t.file ? t.file->string() + ": " : std::string()) + "tensor " + t.name;
}

// The tensor name with the dtype and shape the config implies, or an error naming it.
const TensorView& require(const WeightStore& weights, const std::string& name,
                          const std::vector<int64_t>& shape, std::initializer_list<DType> dtypes,
                          const std::string& why) {
  const TensorView* t = weights.find(name);
  if (!t) throw Error("missing tensor " + name + " (" + why + ")");
  if (std::find(dtypes.begin(), dtypes.end(), t->dtype) == dtypes.end()) {
    std::string allowed;
    for (DType d : dtypes) allowed += (allowed.empty() ? "" : " or ") + std::string(dtype_name(d));
    throw Error(where(*t) + " has dtype " + std::string(dtype_name(t->dtype)) + ", expected " +
                allowed + " (" + why + ")");
  }
  if (t->shape != shape)
    throw Error(where(*t) + " has shape " + shape_string(t->shape) + ", expected " +
                shape_string(shape) + " (" + why + ")");
  return *t;
}

std::vector<int32_t> read_i32(const TensorView& t) {
  std::vector<int32_t> v(static_cast<size_t>(t.numel()));
  if (t.dtype == DType::I64) {
    for (size_t i = 0; i < v.size(); ++i) {
      int64_t x;
      std::memcpy(&x, t.data + 8 * i, 8);
      v[i] = static_cast<int32_t>(x);
    }
  } else {
    std::memcpy(v.data(), t.data, v.size() * 4);
  }
  return v;
}

std::vector<float> read_floats(const TensorView& t) {
  std::vector<float> v(static_cast<size_t>(t.numel()));
  t.to_float(v);
  return v;
}

void read_awq(const QuantConfig& c, const WeightStore& w, const std::string& module, QuantMatrix& m) {
  const int64_t n = m.n, k = m.k, g = c.group_size;
  const std::string why = "AWQ 4-bit, group " + std::to_string(g) + ", for a [" +
                          std::to_string(n) + ", " + std::to_string(k) + "] weight";
  if (n % 8 != 0)
    throw Error(module + ": " + std::to_string(n) +
                " output features are not a multiple of 8 (AWQ packs 8 per int32)");
  if (k % g != 0)
    throw Error(module + ": " + std::to_string(k) + " input features are not a multiple of " +
                "quantization_config.group_size " + std::to_string(g));
  const int64_t groups = k / g, words = n / 8;
  const auto qweight = read_i32(require(w, module + ".qweight", {k, words}, {DType::I32}, why));
  const auto qzeros = read_i32(require(w, module + ".qzeros", {groups, words}, {DType::I32}, why));
  const auto scales = read_floats(
      require(w, module + ".scales", {groups, n}, {DType::F16, DType::BF16, DType::F32}, why));
  m.kind = QuantMatrix::Kind::Int4;
  m.group_size = g;
  m.groups = groups;
  std::vector<uint8_t> q(static_cast<size_t>(n * k));
  for (int64_t i = 0; i < k; ++i) {
    for (int64_t c8 = 0; c8 < words; ++c8) {
      const uint32_t word = static_cast<uint32_t>(qweight[i * words + c8]);
      for (int p = 0; p < 8; ++p) q[(c8 * 8 + kAwqOrder[p]) * k + i] = (word >> (4 * p)) & 15;
    }
  }
  m.scales.resize(n * groups);
  m.zeros.resize(n * groups);
  for (int64_t gi = 0; gi < groups; ++gi) {
    for (int64_t c8 = 0; c8 < words; ++c8) {
      const uint32_t word = static_cast<uint32_t>(qzeros[gi * words + c8]);
      for (int p = 0; p < 8; ++p) m.zeros[(c8 * 8 + kAwqOrder[p]) * groups + gi] = (word >> (4 * p)) & 15;
    }
    for (int64_t col = 0; col < n; ++col) m.scales[col * groups + gi] = scales[gi * n + col];
  }
  m.packed = pack_rows(q, n, k, 4);
}

// The permutation that makes g_idx's groups contiguous, or empty when they already are.
std::vector<int32_t> gidx_permutation(const TensorView& t, const std::vector<int32_t>& g_idx,
                                      int64_t group_size, int64_t groups) {
  const int64_t k = static_cast<int64_t>(g_idx.size());
  std::vector<int64_t> count(groups, 0);
  bool sequential = true;
  for (int64_t i = 0; i < k; ++i) {
    const int32_t gi = g_idx[i];
    if (gi < 0 || gi >= groups)
      throw Error(where(t) + " holds group " + std::to_string(gi) + " at input " +
                  std::to_string(i) + ", outside the " + std::to_string(groups) + " groups");
    ++count[gi];
    sequential = sequential && gi == i / group_size;
  }
  if (sequential) return {};
  for (int64_t gi = 0; gi < groups; ++gi) {
    const int64_t expected = std::min(group_size, k - gi * group_size);
    if (count[gi] != expected)
      throw Error(where(t) + " puts " + std::to_string(count[gi]) + " input channels in group " +
                  std::to_string(gi) + "; group_size " + std::to_string(group_size) + " means " +
                  std::to_string(expected));
  }
  std::vector<int32_t> perm(k);
  std::iota(perm.begin(), perm.end(), 0);
  std::stable_sort(perm.begin(), perm.end(),
                   [&](int32_t a, int32_t b) { return g_idx[a] < g_idx[b]; });
  return perm;
}

void read_gptq(const QuantConfig& c, const WeightStore& w, const std::string& module,
               QuantMatrix& m) {
  const int64_t n = m.n, k = m.k, bits = c.bits, per = 32 / bits;
  const int64_t gs = c.group_size > 0 ? c.group_size : k;
  const int64_t groups = (k + gs - 1) / gs;
  const std::string why = "GPTQ " + std::to_string(bits) + "-bit, group " +
                          std::to_string(c.group_size > 0 ? c.group_size : -1) + ", for a [" +
                          std::to_string(n) + ", " + std::to_string(k) + "] weight";
  if (k % per != 0 || n % per != 0)
    throw Error(module + ": a [" + std::to_string(n) + ", " + std::to_string(k) +
                "] weight cannot be packed " + std::to_string(per) + " per int32 (GPTQ " +
                std::to_string(bits) + "-bit)");
  const auto qweight = read_i32(require(w, module + ".qweight", {k / per, n}, {DType::I32}, why));
  const auto qzeros =
      read_i32(require(w, module + ".qzeros", {groups, n / per}, {DType::I32}, why));
  const auto scales = read_floats(
      require(w, module + ".scales", {groups, n}, {DType::F16, DType::BF16, DType::F32}, why));
  m.kind = bits == 4 ? QuantMatrix::Kind::Int4 : QuantMatrix::Kind::Int8;
  m.group_size = gs;
  m.groups = groups;
  if (w.find(module + ".g_idx")) {
    const TensorView& t = require(w, module + ".g_idx", {k}, {DType::I32, DType::I64}, why);
    m.perm = gidx_permutation(t, read_i32(t), gs, groups);
  } else if (c.desc_act) {
    throw Error("missing tensor " + module + ".g_idx (quantization_config.desc_act is true)");
  }
  const uint32_t mask = (1u << bits) - 1;
  std::vector<uint8_t> q(static_cast<size_t>(n * k));
  for (int64_t j = 0; j < k; ++j) {
    const int64_t i = m.perm.empty() ? j : m.perm[j];
    const int shift = static_cast<int>((i % per) * bits);
    const int32_t* row = &qweight[(i / per) * n];
    for (int64_t col = 0; col < n; ++col)
      q[col * k + j] = (static_cast<uint32_t>(row[col]) >> shift) & mask;
  }
  m.scales.resize(n * groups);
  m.zeros.resize(n * groups);
  // The "gptq" format stores zero - 1 (a zero of 0 wraps to 2^bits - 1 and reads back as 2^bits,
  // as AutoGPTQ's kernels do); gptq_v2 stores the zero itself.
  const uint16_t offset = c.gptq_v2 ? 0 : 1;
  for (int64_t gi = 0; gi < groups; ++gi) {
    for (int64_t col = 0; col < n; ++col) {
      const uint32_t word = static_cast<uint32_t>(qzeros[gi * (n / per) + col / per]);
      m.zeros[col * groups + gi] =
          static_cast<uint16_t>(((word >> ((col % per) * bits)) & mask) + offset);
      m.scales[col * groups + gi] = scales[gi * n + col];
    }
  }
  m.packed = pack_rows(q, n, k, static_cast<int>(bits));
}

void read_fp8(const QuantConfig& c, const WeightStore& w, const std::string& module,
              QuantMatrix& m) {
  const int64_t n = m.n, k = m.k;
  const std::string why = c.describe() + ", for a [" + std::to_string(n) + ", " +
                          std::to_string(k) + "] weight";
  const TensorView& t = require(w, module + ".weight", {n, k}, {DType::F8E4M3}, why);
  m.kind = QuantMatrix::Kind::Fp8;
  m.fp8.assign(reinterpret_cast<const uint8_t*>(t.data),
               reinterpret_cast<const uint8_t*>(t.data) + n * k);
  if (c.fp8_block_n > 0) {
    m.block_n = c.fp8_block_n;
    m.block_k = c.fp8_block_k;
    const int64_t bn = (n + m.block_n - 1) / m.block_n;
    m.blocks_k = (k + m.block_k - 1) / m.block_k;
    m.block_scales = read_floats(require(w, module + ".weight_scale_inv", {bn, m.blocks_k},
                                         {DType::F32, DType::BF16, DType::F16}, why));
  } else {
    const TensorView* s = w.find(module + ".weight_scale");
    if (!s) s = w.find(module + ".weight_scale_inv");
    if (!s) throw Error("missing tensor " + module + ".weight_scale (" + why + ")");
    if (s->numel() != 1)
      throw Error(where(*s) + " has shape " + shape_string(s->shape) +
                  ", expected one scale (quantization_config has no weight_block_size)");
    m.block_n = n;
    m.block_k = k;
    m.blocks_k = 1;
    m.block_scales = read_floats(*s);
  }
}

}  // namespace

int64_t QuantMatrix::stored_bytes() const {
  if (kind == Kind::Fp8) return static_cast<int64_t>(fp8.size() + 4 * block_scales.size());
  return static_cast<int64_t>(4 * packed.size() + 4 * scales.size() + 4 * perm.size());
}

std::vector<uint32_t> pack_rows(const std::vector<uint8_t>& q, int64_t n, int64_t k, int bits) {
  const int64_t per = 32 / bits, words = k / per;
  std::vector<uint32_t> packed(static_cast<size_t>(n * words), 0);
  for (int64_t r = 0; r < n; ++r) {
    const uint8_t* src = &q[r * k];
    uint32_t* dst = &packed[r * words];
    for (int64_t j = 0; j < k; ++j) dst[j / per] |= uint32_t{src[j]} << ((j % per) * bits);
  }
  return packed;
}

QuantMatrix read_quant_matrix(const QuantConfig& config, const WeightStore& weights,
                              const std::string& module, int64_t n, int64_t k) {
  QuantMatrix m;
  m.n = n;
  m.k = k;
  switch (config.method) {
    case QuantMethod::Awq:
      read_awq(config, weights, module, m);
      break;
    case QuantMethod::Gptq:
      read_gptq(config, weights, module, m);
      break;
    case QuantMethod::Fp8:
      read_fp8(config, weights, module, m);
      break;
    case QuantMethod::None:
      throw Error(module + ": not a quantized checkpoint");
  }
  return m;
}

void dequantize(const QuantMatrix& m, float* out) {
  const int64_t n = m.n, k = m.k;
  if (m.kind == QuantMatrix::Kind::Fp8) {
    float lut[256];
    for (int v = 0; v < 256; ++v) lut[v] = fp8_e4m3_to_float(static_cast<uint8_t>(v));
    for (int64_t r = 0; r < n; ++r) {
      const float* s = &m.block_scales[(r / m.block_n) * m.blocks_k];
      for (int64_t c = 0; c < k; ++c) out[r * k + c] = lut[m.fp8[r * k + c]] * s[c / m.block_k];
    }
    return;
  }
  const int bits = m.bits();
  const int64_t per = 32 / bits, words = m.words_per_row();
  const uint32_t mask = (1u << bits) - 1;
  for (int64_t r = 0; r < n; ++r) {
    const uint32_t* row = &m.packed[r * words];
    for (int64_t j = 0; j < k; ++j) {
      const int64_t g = j / m.group_size;
      const float q = static_cast<float>((row[j / per] >> ((j % per) * bits)) & mask);
      const float zero = m.zeros[r * m.groups + g];
      const int64_t c = m.perm.empty() ? j : m.perm[j];
      out[r * k + c] = (q - zero) * m.scales[r * m.groups + g];
    }
  }
}

}  // namespace pagoda
