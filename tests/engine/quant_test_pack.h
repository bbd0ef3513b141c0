#pragma once
// Random quantized linear weights written in each checkpoint format's own layout (the packing
// direction of AutoAWQ's GEMM format, AutoGPTQ/GPTQModel's gptq and gptq_v2 formats and FP8
// e4m3 with block or tensor scales), with the float64 weights they stand for, computed from
// the integers before packing (not by unpacking). Shared by the CPU and GPU quantization tests.
#include <algorithm>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "engine/model/dtype.h"
#include "engine/model/quant_config.h"
#include "engine/model/weights.h"

namespace quant_test {

struct Case {
  pagoda::QuantConfig config;
  int64_t n = 0, k = 0;
  bool shuffled_gidx = false;  // GPTQ: a random act-order permutation in g_idx
  std::string name() const {
    return config.describe() + (config.gptq_v2 ? " v2" : "") +
           (config.zero_point ? "" : " sym") + " [" + std::to_string(n) + "x" +
           std::to_string(k) + "]";
  }
};

inline pagoda::QuantConfig awq(int group) {
  pagoda::QuantConfig c;
  c.method = pagoda::QuantMethod::Awq, c.bits = 4, c.group_size = group;
  return c;
}
inline pagoda::QuantConfig gptq(int bits, int group, bool sym, bool desc_act, bool v2 = false) {
  pagoda::QuantConfig c;
  c.method = pagoda::QuantMethod::Gptq, c.bits = bits, c.group_size = group;
  c.zero_point = !sym, c.desc_act = desc_act, c.gptq_v2 = v2;
  return c;
}
inline pagoda::QuantConfig fp8(int block_n, int block_k) {
  pagoda::QuantConfig c;
  c.method = pagoda::QuantMethod::Fp8, c.bits = 8, c.fp8_block_n = block_n, c.fp8_block_k = block_k;
  return c;
}

template <typename T>
std::vector<std::byte> bytes_of(const std::vector<T>& v) {
  std::vector<std::byte> b(v.size() * sizeof(T));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

// fp16-representable scale in [lo, hi).
inline float f16_value(std::mt19937_64& rng, float lo, float hi) {
  return pagoda::f16_to_float(
      pagoda::float_to_f16(std::uniform_real_distribution<float>(lo, hi)(rng)));
}

// Adds module's tensors for c to store; returns the weights w[r * k + col] they encode.
inline std::vector<double> add_case(const Case& c, const std::string& module,
                                    pagoda::WeightStore& store, std::mt19937_64& rng) {
  using pagoda::DType;
  const int64_t n = c.n, k = c.k;
  std::vector<double> w(static_cast<size_t>(n * k));
  const pagoda::QuantConfig& q = c.config;
  if (q.method == pagoda::QuantMethod::Fp8) {
    std::vector<uint8_t> bytes(n * k);
    for (auto& b : bytes) {
      do b = static_cast<uint8_t>(rng()); while ((b & 0x7F) == 0x7F);  // no NaN
    }
    const int64_t bn = q.fp8_block_n > 0 ? q.fp8_block_n : n, bk = q.fp8_block_k > 0 ? q.fp8_block_k : k;
    const int64_t rows = (n + bn - 1) / bn, cols = (k + bk - 1) / bk;
    std::vector<float> scales(rows * cols);
    for (auto& s : scales) s = std::uniform_real_distribution<float>(1e-3f, 2e-2f)(rng);
    for (int64_t r = 0; r < n; ++r)
      for (int64_t col = 0; col < k; ++col)
        w[r * k + col] = double(pagoda::fp8_e4m3_to_float(bytes[r * k + col])) *
                         scales[(r / bn) * cols + col / bk];
    store.add_owned(module + ".weight", DType::F8E4M3, {n, k}, bytes_of(bytes));
    if (q.fp8_block_n > 0)
      store.add_owned(module + ".weight_scale_inv", DType::F32, {rows, cols}, bytes_of(scales));
    else
      store.add_owned(module + ".weight_scale", DType::F32, {}, bytes_of(scales));
    return w;
  }
  const int bits = q.bits, per = 32 / bits, levels = 1 << bits;
  const int64_t gs = q.group_size > 0 ? q.group_size : k, groups = (k + gs - 1) / gs;
  // g_idx: input i belongs to group g_idx[i]; act order shuffles which inputs form a group.
  std::vector<int32_t> g_idx(k);
  std::vector<int32_t> order(k);
  std::iota(order.begin(), order.end(), 0);
  if (c.shuffled_gidx) std::shuffle(order.begin(), order.end(), rng);
  for (int64_t t = 0; t < k; ++t) g_idx[order[t]] = static_cast<int32_t>(t / gs);
  std::vector<uint32_t> ints(k * n);  // [k, n] (input, output), as the packers see them
  for (auto& v : ints) v = static_cast<uint32_t>(rng() % levels);
  std::vector<uint32_t> zeros(groups * n);
  for (auto& z : zeros) z = q.zero_point ? static_cast<uint32_t>(rng() % levels) : levels / 2;
  // The gptq (v1) format cannot store a zero of 0 (it stores zero - 1): avoid it there.
  if (q.method == pagoda::QuantMethod::Gptq && !q.gptq_v2)
    for (auto& z : zeros) z = std::max<uint32_t>(z, 1);
  std::vector<uint16_t> scales(groups * n);
  for (auto& s : scales) s = pagoda::float_to_f16(f16_value(rng, 2e-3f, 3e-2f));
  for (int64_t i = 0; i < k; ++i)
    for (int64_t col = 0; col < n; ++col) {
      const int64_t g = g_idx[i];
      w[col * k + i] = (double(ints[i * n + col]) - double(zeros[g * n + col])) *
                       pagoda::f16_to_float(scales[g * n + col]);
    }
  std::vector<int32_t> qweight, qzeros;
  if (q.method == pagoda::QuantMethod::Awq) {
    static const int order_map[8] = {0, 2, 4, 6, 1, 3, 5, 7};
    qweight.assign(k * (n / 8), 0);
    qzeros.assign(groups * (n / 8), 0);
    for (int64_t i = 0; i < k; ++i)
      for (int64_t c8 = 0; c8 < n / 8; ++c8)
        for (int p = 0; p < 8; ++p)
          qweight[i * (n / 8) + c8] |= static_cast<int32_t>(ints[i * n + c8 * 8 + order_map[p]] << (4 * p));
    for (int64_t g = 0; g < groups; ++g)
      for (int64_t c8 = 0; c8 < n / 8; ++c8)
        for (int p = 0; p < 8; ++p)
          qzeros[g * (n / 8) + c8] |= static_cast<int32_t>(zeros[g * n + c8 * 8 + order_map[p]] << (4 * p));
    store.add_owned(module + ".qweight", DType::I32, {k, n / 8}, bytes_of(qweight));
    store.add_owned(module + ".qzeros", DType::I32, {groups, n / 8}, bytes_of(qzeros));
  } else {
    qweight.assign((k / per) * n, 0);
    qzeros.assign(groups * (n / per), 0);
    for (int64_t i = 0; i < k; ++i)
      for (int64_t col = 0; col < n; ++col)
        qweight[(i / per) * n + col] |= static_cast<int32_t>(ints[i * n + col] << ((i % per) * bits));
    const uint32_t offset = q.gptq_v2 ? 0 : 1, mask = levels - 1;
    for (int64_t g = 0; g < groups; ++g)
      for (int64_t col = 0; col < n; ++col)
        qzeros[g * (n / per) + col / per] |=
            static_cast<int32_t>(((zeros[g * n + col] - offset) & mask) << ((col % per) * bits));
    store.add_owned(module + ".qweight", DType::I32, {k / per, n}, bytes_of(qweight));
    store.add_owned(module + ".qzeros", DType::I32, {groups, n / per}, bytes_of(qzeros));
    store.add_owned(module + ".g_idx", DType::I32, {k}, bytes_of(g_idx));
  }
  store.add_owned(module + ".scales", DType::F16, {groups, n}, bytes_of(scales));
  return w;
}

}  // namespace quant_test
