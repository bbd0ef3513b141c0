#pragma once
// Host side of the int4 fragment kernels' CPU emulation tests (test_int4_stream_emulated,
// test_int4_tile_emulated): random int4 parts in mma fragment order (quant_int4_frag.cuh's
// layout) with the float64 weights they stand for, bf16 activations, the float64 product, and a
// relative-error check. Include after the generated kernel source (it defines bf16 and the
// kernels' QuantPart). Single-threaded test code.
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace int4_frag_test {

using pagoda::cuda::QuantKind;
using pagoda::cuda::QuantPart;
using bf16 = __nv_bfloat16;

inline int g_failures = 0;
inline std::mt19937_64 g_rng;

// One int4 part in fragment order with the float64 weights it stands for.
struct HostPart {
  int n = 0, k = 0, group_size = 0, groups = 0;
  std::vector<uint32_t> frag;
  std::vector<__half2> scale_zero;
  std::vector<double> w;  // [n, k]
  QuantPart device(int row0) const {
    QuantPart p;
    p.kind = QuantKind::Int4;
    p.n = n, p.k = k, p.row0 = row0, p.group_size = group_size, p.groups = groups;
    p.frag = frag.data();
    p.scale_zero = scale_zero.data();
    return p;
  }
};

// group_size: a multiple of 64, or >= k (one group).
inline HostPart make_part(int n, int k, int group_size) {
  HostPart h;
  h.n = n, h.k = k, h.group_size = group_size;
  const bool one = group_size >= k;
  h.groups = one ? 1 : (k + group_size - 1) / group_size;
  const int kgroups = (k + 63) / 64, rbs = (n + 15) / 16;
  h.frag.resize(static_cast<size_t>(rbs) * kgroups * 128);
  for (uint32_t& word : h.frag) word = static_cast<uint32_t>(g_rng());
  std::uniform_real_distribution<float> scale(0.01f, 0.05f);
  std::vector<float> sc(static_cast<size_t>(n) * h.groups), zero(sc.size());
  h.scale_zero.resize(sc.size());
  for (size_t i = 0; i < sc.size(); ++i) {
    sc[i] = __half2float(__float2half(scale(g_rng)));
    zero[i] = static_cast<float>(g_rng() % 16);
    h.scale_zero[i] = __halves2half2(__float2half(sc[i]), __float2half(zero[i]));
  }
  // The layout of kernels/quant_int4_frag.cuh: word j of lane (g, t), nibble i.
  h.w.assign(static_cast<size_t>(n) * k, 0.0);
  for (int rb = 0; rb < rbs; ++rb)
    for (int kg = 0; kg < kgroups; ++kg)
      for (int lane = 0; lane < 32; ++lane)
        for (int j = 0; j < 4; ++j) {
          const uint32_t word = h.frag[((static_cast<size_t>(rb) * kgroups + kg) * 32 + lane) * 4 + j];
          for (int i = 0; i < 8; ++i) {
            const int row = 16 * rb + (lane >> 2) + 8 * (i & 1);
            const int ch = 64 * kg + 16 * (lane & 3) + 4 * j + 2 * ((i >> 1) & 1) + (i >> 2);
            if (row >= n || ch >= k) continue;
            const size_t g = static_cast<size_t>(row) * h.groups + (one ? 0 : ch / group_size);
            h.w[static_cast<size_t>(row) * k + ch] = (double((word >> (4 * i)) & 15u) - zero[g]) * sc[g];
          }
        }
  return h;
}

inline std::vector<bf16> random_x(int m, int k, std::vector<double>& xd) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<bf16> x(static_cast<size_t>(m) * k);
  xd.resize(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = __float2bfloat16(dist(g_rng));
    xd[i] = __bfloat162float(x[i]);
  }
  return x;
}

// sum_c x[t, c] w[r, c] over the parts' rows concatenated.
inline std::vector<double> reference(const std::vector<const HostPart*>& parts, const std::vector<double>& x,
                              int m) {
  int total = 0;
  for (const HostPart* p : parts) total += p->n;
  const int k = parts.front()->k;
  std::vector<double> y(static_cast<size_t>(m) * total, 0.0);
  for (int t = 0; t < m; ++t) {
    int row0 = 0;
    for (const HostPart* p : parts) {
      for (int r = 0; r < p->n; ++r) {
        double s = 0;
        for (int c = 0; c < k; ++c) s += x[t * k + c] * p->w[static_cast<size_t>(r) * k + c];
        y[static_cast<size_t>(t) * total + row0 + r] = s;
      }
      row0 += p->n;
    }
  }
  return y;
}

inline void check(const std::string& what, const std::vector<double>& got, const std::vector<double>& ref,
           double tol) {
  double num = 0, den = 0;
  bool finite = true;
  for (size_t i = 0; i < ref.size(); ++i) {
    finite = finite && std::isfinite(got[i]);
    num += (got[i] - ref[i]) * (got[i] - ref[i]);
    den += ref[i] * ref[i];
  }
  const double err = finite ? std::sqrt(num / std::max(den, 1e-30)) : INFINITY;
  std::printf("  %-56s rel err %.2e\n", what.c_str(), err);
  if (!(err <= tol)) {
    std::printf("FAIL: %s: relative error %.3e > %.1e\n", what.c_str(), err, tol);
    ++g_failures;
  }
}

}  // namespace int4_frag_test
