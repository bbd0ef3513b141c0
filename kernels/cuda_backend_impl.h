#pragma once
// The CUDA backend's class, shared by its two source files: cuda_backend.cpp (device set-up,
// weights, workspace, KV cache, memory) and cuda_step.cpp (one step: plan, forward, graphs,
// sampling). Internal to kernels/. One backend is driven by one thread (the engine's).
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "kernels/attention_mma.h"
#include "kernels/cuda_backend.h"
#include "kernels/cuda_check.h"
#include "engine/backend/sampler.h"
#include "engine/backend/step_check.h"
#include "kernels/gpu_sampler.h"
#include "kernels/step_plan.h"
#include "kernels/kernels.h"
#include "kernels/kernel_args.h"
#include "kernels/quant_linear.h"
#include "engine/model/quant_weights.h"
#include "engine/util/error.h"

namespace pagoda::cuda {

inline std::string gib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
  return buf;
}

constexpr int kMaxSplits = kAttentionMaxSplits;
constexpr size_t kCublasWorkspace = 32u << 20;

struct LayerWeights {
  bf16* input_norm = nullptr;
  bf16* post_norm = nullptr;
  bf16* qkv = nullptr;       // [(nh + 2 nkv) hd, hidden]: q, k and v concatenated
  bf16* qkv_bias = nullptr;  // or null
  bf16* q_norm = nullptr;
  bf16* k_norm = nullptr;
  bf16* o = nullptr;        // [hidden, nh hd]
  bf16* gate_up = nullptr;  // [2 inter, hidden]: gate then up
  bf16* down = nullptr;     // [hidden, inter]
};

// Sizes a forward pass is launched with (a captured graph bakes them in).
struct StepShape {
  int tokens = 0, seqs = 0, tiles = 0, samples = 0, stride = 0, splits = 1;
  int max_kv = 0;  // the longest KV length the step may hold (a graph's: its tables' capacity)
  MetaLayout meta;
};

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(const BackendOptions& opts) : opts_(opts) {
    check(cudaSetDevice(opts.device_index), "cudaSetDevice");
    cudaDeviceProp prop{};
    check(cudaGetDeviceProperties(&prop, opts.device_index), "cudaGetDeviceProperties");
    device_name_ = prop.name;
    num_sms_ = prop.multiProcessorCount;
    check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
    check(cublasCreate(&cublas_), "cublasCreate");
    check(cublasSetStream(cublas_, stream_), "cublasSetStream");
    check(cudaMalloc(&cublas_ws_, kCublasWorkspace), "cudaMalloc(cuBLAS workspace)");
    check(cublasSetWorkspace(cublas_, cublas_ws_, kCublasWorkspace), "cublasSetWorkspace");
    attention_init();
    const CudaEnvOptions env = CudaEnvOptions::from_env();
    small_gemm_ = env.small_gemm;
    profile_ = env.profile;
    gpu_sampling_ = env.gpu_sampling;
    mma_attention_ = env.mma_attention;
    fused_decode_ = env.fused_decode;
    decode_mma_ = env.decode_mma && attention_decode_mma_init();
    decode_split_keys_ = env.decode_split_keys;
    decode_prefetch_ = env.decode_prefetch;
    gemv_early_weights_ = env.gemv_early_weights;
    gemv_stage_norm_ = env.gemv_stage_norm;
    fused_rope_ = env.fused_rope;
    set_programmatic_launch(env.programmatic_launch && prop.major >= 9);
  }

  ~CudaBackend() override {
    cudaStreamSynchronize(stream_);
    if (profile_ && profiled_steps_ > 0) {
      const char* names[kNumPhases] = {"norm+embed", "gemm",    "rope+kv", "attention",
                                       "silu_mul",   "lm_head", "sample"};
      std::fprintf(stderr, "profile over %lld steps, ms per step:", (long long)profiled_steps_);
      double gpu = 0;
      for (int i = 0; i < kNumPhases; ++i) {
        std::fprintf(stderr, " %s %.3f", names[i], phase_ms_[i] / profiled_steps_);
        gpu += phase_ms_[i];
      }
      std::fprintf(stderr, " | kernels %.3f, execute() wall %.3f\n", gpu / profiled_steps_,
                   step_wall_ms_ / profiled_steps_);
    }
    for (cudaEvent_t e : event_pool_) cudaEventDestroy(e);
    for (auto& [key, exec] : graphs_) cudaGraphExecDestroy(exec);
    for (cudaEvent_t e : step_events_) cudaEventDestroy(e);
    for (void* p : allocations_) cudaFree(p);
    for (void* p : host_allocations_) cudaFreeHost(p);
    cublasDestroy(cublas_);
    cudaStreamDestroy(stream_);
  }

  std::string name() const override { return "cuda"; }
  std::string device_name() const override { return device_name_; }

  void load(const ModelConfig& config, const WeightStore& weights) override {
    const QuantFill quant_fill = [&](const LinearParts& parts, int64_t k) {
      std::vector<QuantMatrix> host;
      for (const auto& [module, rows] : parts)
        host.push_back(read_quant_matrix(config.quant, weights, module, rows, k));
      return quant_.upload(host);
    };
    load_impl(config, quant_fill, [&](const std::string& name, std::initializer_list<int64_t> shape, bf16* dst,
                          size_t offset_elems) {
      const TensorView& t = weights.get(name, shape);
      const size_t n = static_cast<size_t>(t.numel());
      if (t.dtype == DType::BF16) {
        check(cudaMemcpy(dst + offset_elems, t.data, n * 2, cudaMemcpyHostToDevice), name.c_str());
        return;
      }
      std::vector<float> f(n);
      t.to_float(f);
      std::vector<uint16_t> b(n);
      for (size_t i = 0; i < n; ++i) b[i] = float_to_bf16(f[i]);
      check(cudaMemcpy(dst + offset_elems, b.data(), n * 2, cudaMemcpyHostToDevice), name.c_str());
    });
  }

  void load_random(const ModelConfig& config, uint64_t seed) {
    uint64_t counter = seed * 1000003ull;
    const QuantFill quant_fill = [&](const LinearParts& parts, int64_t k) {
      std::vector<int> rows;
      for (const auto& part : parts) rows.push_back(static_cast<int>(part.second));
      counter += 1000;
      return quant_.random(config.quant, rows, static_cast<int>(k), counter, stream_);
    };
    load_impl(config, quant_fill, [&](const std::string& name, std::initializer_list<int64_t> shape, bf16* dst,
                          size_t offset_elems) {
      size_t n = 1;
      for (int64_t d : shape) n *= static_cast<size_t>(d);
      const bool is_norm = name.find("norm") != std::string::npos;
      const int64_t fan_in = *(shape.end() - 1);
      const float scale = is_norm ? 0.1f : 1.0f / std::sqrt(static_cast<float>(fan_in));
      fill_random_bf16(dst + offset_elems, n, ++counter, scale, is_norm ? 1.0f : 0.0f, stream_);
      check(cudaGetLastError(), "fill_random_bf16");
    });
    check(cudaStreamSynchronize(stream_), "load_random");
  }

  int64_t plan_kv_blocks(int block_size) override {
    if (!loaded_) throw Error("CUDA backend: plan_kv_blocks before load");
    warm_up();
    size_t free_b = 0, total_b = 0;
    check(cudaMemGetInfo(&free_b, &total_b), "cudaMemGetInfo");
    const double budget = opts_.gpu_memory_utilization * static_cast<double>(total_b) -
                          static_cast<double>(total_b - free_b);
    const size_t per_block = kv_bytes_per_block(block_size);
    if (budget < static_cast<double>(per_block))
      throw Error("The model does not fit on " + device_name_ + ": weights take " +
                  gib(static_cast<double>(weights_bytes_)) + " and activations for " +
                  std::to_string(opts_.max_num_batched_tokens) + " batched tokens " +
                  gib(static_cast<double>(workspace_bytes_)) +
                  ", leaving no room for the KV cache "
                  "within gpu_memory_utilization=" +
                  std::to_string(opts_.gpu_memory_utilization) + " of " +
                  gib(static_cast<double>(total_b)) +
                  " (raise gpu_memory_utilization or lower max_num_batched_tokens)");
    return static_cast<int64_t>(budget / static_cast<double>(per_block));
  }

  void allocate_kv_cache(int64_t num_blocks, int block_size) override {
    if (!loaded_) throw Error("CUDA backend: allocate_kv_cache before load");
    if (num_blocks <= 0 || block_size <= 0)
      throw InvalidArgument("CUDA backend: KV cache needs a positive block count and size");
    const size_t bytes = kv_bytes_per_block(block_size) * static_cast<size_t>(num_blocks);
    if (kv_cache_) {
      cudaFree(kv_cache_);
      allocations_.erase(std::find(allocations_.begin(), allocations_.end(), kv_cache_));
      kv_cache_ = nullptr;
    }
    if (cudaMalloc(&kv_cache_, bytes) != cudaSuccess) {
      cudaGetLastError();
      kv_cache_ = nullptr;
      throw Error("Not enough GPU memory for a KV cache of " + std::to_string(num_blocks) +
                  " blocks (" + gib(static_cast<double>(bytes)) + ") on " + device_name_);
    }
    allocations_.push_back(kv_cache_);
    kv_bytes_ = bytes;
    num_blocks_ = num_blocks;
    block_size_ = block_size;
    for (auto& [key, exec] : graphs_) cudaGraphExecDestroy(exec);
    graphs_.clear();
  }

  // launch(): check, plan, copy the metadata, enqueue the forward pass (graph or eager) and
  // return; finish(): enqueue sampling (it reads the rows' masks), wait, fill the output.
  void launch(const StepInput& input) override;
  void finish(const StepInput& input, StepOutput& output) override;

  BackendMemory memory() const override {
    BackendMemory m;
    size_t free_b = 0, total_b = 0;
    if (cudaMemGetInfo(&free_b, &total_b) == cudaSuccess) {
      m.total_bytes = total_b;
      m.used_bytes = total_b - free_b;
    }
    m.weights_bytes = weights_bytes_;
    m.kv_cache_bytes = kv_bytes_;
    return m;
  }

  void set_graphs_enabled(bool on) { graphs_enabled_ = on; }
  void set_step_timing(bool on);
  StepTimings take_step_timings();

 private:
  using Fill =
      std::function<void(const std::string&, std::initializer_list<int64_t>, bf16*, size_t)>;
  // A linear layer's checkpoint modules and their rows, concatenated along the rows.
  using LinearParts = std::vector<std::pair<std::string, int64_t>>;
  using QuantFill = std::function<const bf16*(const LinearParts&, int64_t k)>;
  void load_impl(const ModelConfig& config, const QuantFill& quant_fill, const Fill& fill);
  void allocate_workspace();
  void warm_up();
  size_t kv_bytes_per_block(int block_size) const {
    return static_cast<size_t>(cfg_.num_layers) * 2 * block_size * cfg_.num_kv_heads *
           cfg_.head_dim * sizeof(bf16);
  }
  template <typename T>
  T* device_alloc(size_t count, const char* what) {
    void* p = nullptr;
    if (cudaMalloc(&p, count * sizeof(T)) != cudaSuccess) {
      cudaGetLastError();
      throw Error(std::string("Not enough GPU memory on ") + device_name_ + " for " + what + " (" +
                  gib(static_cast<double>(count * sizeof(T))) + ")");
    }
    allocations_.push_back(p);
    return static_cast<T*>(p);
  }
  // y = x w^T; with pre.x (quant_input's answer for w), x is already in the wgmma tiles'
  // layout there.
  void gemm(const bf16* x, const bf16* w, void* y, int tokens, int n, int k, bool out_f32,
            const FragActOut& pre = {});
  // Where the kernel producing w's input should write it for a step of `tokens` tokens
  // (QuantLinears::frag_input; {} for bf16 weights: row-major).
  FragActOut quant_input(const bf16* w, int tokens) const;
  int splits_for(int tiles, int max_kv) const;
  void forward(const StepShape& s);
  // Decode-sized steps: six kernels a layer (kernels.h's GemvParams fusions; int4 linears'
  // QuantLinears::fused_product), up to fused_max_tokens_.
  bool fused_step(const StepShape& s) const {
    return fused_decode_ && fused_shapes_ok_ && small_gemm_ && s.tokens <= fused_max_tokens_;
  }
  void forward_fused(const StepShape& s);
  void run_attention(const StepShape& s, const AttentionParams& ap);
  AttentionParams layer_attention(const StepShape& s, const RopeStoreParams& rp) const;
  RopeStoreParams layer_rope(const StepShape& s, int layer) const;
  void run_graph(const StepShape& s);
  void step_sync(std::chrono::steady_clock::time_point wall_start);

  BackendOptions opts_;
  std::string device_name_;
  int num_sms_ = 0;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  void* cublas_ws_ = nullptr;
  std::vector<void*> allocations_;
  std::vector<void*> host_allocations_;
  bool loaded_ = false;
  bool graphs_enabled_ = true;
  bool small_gemm_ = true;  // PAGODA_CUDA_GEMV=0 sends decode-sized products to cuBLAS too
  // PAGODA_CUDA_GPU_SAMPLING=0: only plain greedy rows on the GPU, the rest via sample_row.
  bool gpu_sampling_ = true;
  bool decode_mma_ = true;  // PAGODA_CUDA_DECODE_MMA=0: decode steps on the CUDA-core kernel
  int decode_split_keys_ = 0;  // PAGODA_CUDA_DECODE_SPLIT_KEYS; 0: decode_split_keys()
  bool decode_prefetch_ = true;
  bool gemv_early_weights_ = true;  // GemvParams::early_weights in the fused decode
  bool gemv_stage_norm_ = true;     // GemvParams::stage_norm in the fused decode
  bool mma_attention_ = true;  // PAGODA_CUDA_MMA_ATTENTION=0: CUDA-core attention for prefill too
  bool fused_decode_ = true;   // PAGODA_CUDA_FUSE=0: the ten-kernel decode layer
  // The bf16 GEMV's kGemvMaxTokens, or kFusedMaxTokens when every layer's linears are int4
  // products (which take up to kInt4StreamMaxRows tokens).
  int fused_max_tokens_ = kGemvMaxTokens;
  bool fused_rope_ = true;     // PAGODA_CUDA_FUSE_ROPE=0: fused decode keeps rope_store
  bool fused_shapes_ok_ = false;  // linears (bf16, int4 fragments) the fused products take
  // set_step_timing: device events around the forward pass and the sampling of every step.
  bool step_timing_ = false;
  cudaEvent_t step_events_[3] = {};
  StepTimings timings_;
  std::map<std::pair<int, int>, int> graph_kernels_;  // kernel nodes of each captured graph
  GpuSampler sampler_;

  // PAGODA_CUDA_PROFILE=1: eager steps with device events around each kind of kernel; the
  // per-step means are printed to stderr when the backend is destroyed.
  enum Phase { kNorm, kGemm, kRope, kAttention, kMlpAct, kLmHead, kSample, kNumPhases };
  bool profile_ = false;
  std::vector<std::pair<int, std::pair<cudaEvent_t, cudaEvent_t>>> marks_;
  std::vector<cudaEvent_t> event_pool_;
  size_t events_used_ = 0;
  double phase_ms_[kNumPhases] = {};
  double step_wall_ms_ = 0;
  int64_t profiled_steps_ = 0;
  cudaEvent_t next_event() {
    if (events_used_ == event_pool_.size()) {
      cudaEvent_t e = nullptr;
      check(cudaEventCreate(&e), "cudaEventCreate");
      event_pool_.push_back(e);
    }
    return event_pool_[events_used_++];
  }
  template <typename F>
  void timed(Phase phase, F&& launch) {
    if (!profile_) {
      launch();
      return;
    }
    cudaEvent_t a = next_event(), b = next_event();
    cudaEventRecord(a, stream_);
    launch();
    cudaEventRecord(b, stream_);
    marks_.push_back({phase, {a, b}});
  }
  void collect_profile(double wall_ms) {
    if (!profile_) return;
    for (auto& [phase, ev] : marks_) {
      float ms = 0;
      if (cudaEventElapsedTime(&ms, ev.first, ev.second) == cudaSuccess) phase_ms_[phase] += ms;
    }
    marks_.clear();
    events_used_ = 0;
    step_wall_ms_ += wall_ms;
    ++profiled_steps_;
  }

  ModelConfig cfg_;
  int qkv_dim_ = 0;
  bf16* embed_ = nullptr;
  bf16* lm_head_ = nullptr;
  bf16* final_norm_ = nullptr;
  std::vector<LayerWeights> layers_;
  float* inv_freq_ = nullptr;
  float rope_scale_ = 1.0f;
  size_t weights_bytes_ = 0;
  // Quantized checkpoints: layer weight pointers are keys into quant_ (quant_linear.h).
  QuantLinears quant_;
  bf16* dequant_scratch_ = nullptr;  // the largest quantized linear, dequantized for cuBLAS

  // Workspace, sized for max_tokens_ tokens and max_seqs_ sequences.
  int max_tokens_ = 0, max_seqs_ = 0, max_stride_ = 0, max_banned_ = 0, partial_rows_ = 0;
  size_t workspace_bytes_ = 0;
  float* residual_ = nullptr;
  bf16 *normed_ = nullptr, *qkv_ = nullptr, *q_ = nullptr, *attn_ = nullptr, *delta_ = nullptr,
       *gate_up_ = nullptr, *act_ = nullptr, *final_hidden_ = nullptr;
  float* logits_ = nullptr;
  float *partial_out_ = nullptr, *partial_ml_ = nullptr;
  float* norm_sumsq_ = nullptr;  // fused decode: [2 layers + 1][kFusedMaxTokens] sums of squares
  int32_t* sampled_ids_ = nullptr;
  float* sampled_logprobs_ = nullptr;
  size_t meta_capacity_ = 0;
  int32_t* meta_host_ = nullptr;
  int32_t* meta_dev_ = nullptr;
  int32_t* result_ids_host_ = nullptr;
  float* result_logprobs_host_ = nullptr;

  void* kv_cache_ = nullptr;
  size_t kv_bytes_ = 0;
  int64_t num_blocks_ = 0;
  int block_size_ = 0;

  std::map<std::pair<int, int>, cudaGraphExec_t> graphs_;  // (padded batch, table stride)

  // The step between launch() and finish().
  StepInFlight in_flight_;
  StepPlan plan_;
  std::chrono::steady_clock::time_point step_start_;
};

}  // namespace pagoda::cuda
