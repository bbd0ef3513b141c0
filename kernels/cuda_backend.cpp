#include "cuda_backend.h"

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

#include "attention_mma.h"
#include "backend/sampler.h"
#include "gpu_sampler.h"
#include "kernels.h"
#include "model/quant_weights.h"
#include "quant_linear.h"
#include "util/error.h"

namespace pagoda::cuda {

namespace {

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess)
    throw Error(std::string("CUDA error in ") + what + ": " + cudaGetErrorString(e));
}
void check(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS)
    throw Error(std::string("cuBLAS error in ") + what + ": " + cublasGetStatusString(s));
}

std::string gib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
  return buf;
}

constexpr float kGreedyTemperature = 1e-5f;  // same threshold as the reference sampler
constexpr int kMaxSplits = 16;
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

// Where a forward pass reads its per-step metadata: packed in one buffer so a step is one
// copy. The offsets depend only on the step's sizes, so a captured graph (fixed sizes) stays
// valid; the banned ids come last because only the sampler, outside graphs, reads them.
struct MetaLayout {
  size_t ids = 0, positions = 0, slots = 0, tile_seq = 0, tile_q0 = 0, q_start = 0, q_len = 0,
         kv_len = 0, sample_rows = 0, block_tables = 0, banned_offsets = 0, banned = 0;
};

MetaLayout layout_for(int tokens, int tiles, int seqs, int stride) {
  MetaLayout m;
  size_t at = 0;
  auto take = [&](size_t n) {
    const size_t start = at;
    at += n;
    return start;
  };
  m.ids = take(tokens);
  m.positions = take(tokens);
  m.slots = take(tokens);
  m.tile_seq = take(tiles);
  m.tile_q0 = take(tiles);
  m.q_start = take(seqs);
  m.q_len = take(seqs);
  m.kv_len = take(seqs);
  m.sample_rows = take(seqs);
  m.block_tables = take(static_cast<size_t>(seqs) * stride);
  m.banned_offsets = take(seqs + 1);
  m.banned = at;
  return m;
}

// Sizes a forward pass is launched with (a captured graph bakes them in).
struct StepShape {
  int tokens = 0, seqs = 0, tiles = 0, samples = 0, stride = 0, splits = 1;
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
    const char* gemv = std::getenv("PAGODA_CUDA_GEMV");
    small_gemm_ = !(gemv && gemv[0] == '0');
    const char* prof = std::getenv("PAGODA_CUDA_PROFILE");
    profile_ = prof && prof[0] == '1';
    const char* sampling = std::getenv("PAGODA_CUDA_GPU_SAMPLING");
    gpu_sampling_ = !(sampling && sampling[0] == '0');
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

  void execute(const StepInput& input, StepOutput& output) override;

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
  void gemm(const bf16* x, const bf16* w, void* y, int tokens, int n, int k, bool out_f32);
  int splits_for(int tiles, int max_kv) const;
  void forward(const StepShape& s);
  void run_graph(const StepShape& s);

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
};

void CudaBackend::load_impl(const ModelConfig& config, const QuantFill& quant_fill,
                            const Fill& fill) {
  if (loaded_) throw Error("CUDA backend: load called twice");
  cfg_ = config;
  if (cfg_.num_heads <= 0 || cfg_.num_kv_heads <= 0 || cfg_.num_heads % cfg_.num_kv_heads != 0)
    throw Error("config.json: num_attention_heads must be a multiple of num_key_value_heads");
  if (cfg_.head_dim <= 0 || cfg_.head_dim % 2 != 0 || cfg_.head_dim > 256)
    throw Error("config.json: head_dim " + std::to_string(cfg_.head_dim) +
                " is not supported by the CUDA backend (even, at most 256)");
  if (cfg_.hidden_act != "silu")
    throw Error("config.json: hidden_act " + cfg_.hidden_act + " is not supported (silu only)");
  const int64_t H = cfg_.hidden_size, I = cfg_.intermediate_size, hd = cfg_.head_dim;
  const int64_t nh = cfg_.num_heads, nkv = cfg_.num_kv_heads, V = cfg_.vocab_size;
  qkv_dim_ = static_cast<int>((nh + 2 * nkv) * hd);
  size_t before_free = 0, total = 0;
  check(cudaMemGetInfo(&before_free, &total), "cudaMemGetInfo");

  embed_ = device_alloc<bf16>(V * H, "model.embed_tokens.weight");
  fill("model.embed_tokens.weight", {V, H}, embed_, 0);
  if (cfg_.tie_word_embeddings) {
    lm_head_ = embed_;
  } else {
    lm_head_ = device_alloc<bf16>(V * H, "lm_head.weight");
    fill("lm_head.weight", {V, H}, lm_head_, 0);
  }
  final_norm_ = device_alloc<bf16>(H, "model.norm.weight");
  fill("model.norm.weight", {H}, final_norm_, 0);
  auto linear = [&](const LinearParts& parts, int64_t k, const char* what) -> bf16* {
    if (cfg_.quant.converts(parts.front().first)) return const_cast<bf16*>(quant_fill(parts, k));
    int64_t n = 0;
    for (const auto& part : parts) n += part.second;
    bf16* dst = device_alloc<bf16>(n * k, what);
    int64_t offset = 0;
    for (const auto& [module, rows] : parts) {
      fill(module + ".weight", {rows, k}, dst, offset);
      offset += rows * k;
    }
    return dst;
  };
  layers_.resize(cfg_.num_layers);
  for (int l = 0; l < cfg_.num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    LayerWeights& w = layers_[l];
    w.input_norm = device_alloc<bf16>(H, "norm weights");
    fill(p + "input_layernorm.weight", {H}, w.input_norm, 0);
    w.post_norm = device_alloc<bf16>(H, "norm weights");
    fill(p + "post_attention_layernorm.weight", {H}, w.post_norm, 0);
    w.qkv = linear({{p + "self_attn.q_proj", nh * hd},
                    {p + "self_attn.k_proj", nkv * hd},
                    {p + "self_attn.v_proj", nkv * hd}},
                   H, "attention weights");
    if (cfg_.attention_bias) {
      w.qkv_bias = device_alloc<bf16>(qkv_dim_, "attention biases");
      fill(p + "self_attn.q_proj.bias", {nh * hd}, w.qkv_bias, 0);
      fill(p + "self_attn.k_proj.bias", {nkv * hd}, w.qkv_bias, nh * hd);
      fill(p + "self_attn.v_proj.bias", {nkv * hd}, w.qkv_bias, (nh + nkv) * hd);
    }
    if (cfg_.qk_norm) {
      w.q_norm = device_alloc<bf16>(hd, "q/k norm weights");
      fill(p + "self_attn.q_norm.weight", {hd}, w.q_norm, 0);
      w.k_norm = device_alloc<bf16>(hd, "q/k norm weights");
      fill(p + "self_attn.k_norm.weight", {hd}, w.k_norm, 0);
    }
    w.o = linear({{p + "self_attn.o_proj", H}}, nh * hd, "attention weights");
    w.gate_up = linear({{p + "mlp.gate_proj", I}, {p + "mlp.up_proj", I}}, H, "MLP weights");
    w.down = linear({{p + "mlp.down_proj", H}}, I, "MLP weights");
  }
  const std::vector<float> inv_freq = rope_inv_freq(cfg_);
  if (static_cast<int64_t>(inv_freq.size()) * 2 != hd)
    throw Error("rope_inv_freq returned " + std::to_string(inv_freq.size()) +
                " frequencies for head_dim " + std::to_string(hd));
  rope_scale_ = rope_attention_scaling(cfg_);
  inv_freq_ = device_alloc<float>(inv_freq.size(), "rotary frequencies");
  check(cudaMemcpy(inv_freq_, inv_freq.data(), inv_freq.size() * sizeof(float),
                   cudaMemcpyHostToDevice),
        "rotary frequencies");
  size_t after_free = 0;
  check(cudaMemGetInfo(&after_free, &total), "cudaMemGetInfo");
  weights_bytes_ = before_free - after_free;
  allocate_workspace();
  loaded_ = true;
}

void CudaBackend::allocate_workspace() {
  size_t before_free = 0, total = 0;
  check(cudaMemGetInfo(&before_free, &total), "cudaMemGetInfo");
  max_seqs_ = std::max(1, opts_.max_num_seqs);
  max_tokens_ = std::max(opts_.max_num_batched_tokens, max_seqs_);
  const size_t T = max_tokens_, H = cfg_.hidden_size, I = cfg_.intermediate_size;
  const size_t nh = cfg_.num_heads, hd = cfg_.head_dim;
  if (quant_.max_dequant_elems() > 0) {
    dequant_scratch_ = device_alloc<bf16>(quant_.max_dequant_elems(), "dequantized weights");
    quant_.prepare(max_tokens_);
  }
  residual_ = device_alloc<float>(T * H, "activations");
  normed_ = device_alloc<bf16>(T * H, "activations");
  qkv_ = device_alloc<bf16>(T * qkv_dim_, "activations");
  q_ = device_alloc<bf16>(T * nh * hd, "activations");
  attn_ = device_alloc<bf16>(T * nh * hd, "activations");
  delta_ = device_alloc<bf16>(T * H, "activations");
  gate_up_ = device_alloc<bf16>(T * 2 * I, "activations");
  act_ = device_alloc<bf16>(T * I, "activations");
  final_hidden_ = device_alloc<bf16>(max_seqs_ * H, "activations");
  logits_ = device_alloc<float>(static_cast<size_t>(max_seqs_) * cfg_.vocab_size, "logits");
  partial_rows_ = std::max(max_seqs_ * kMaxSplits, 4096);
  partial_out_ = device_alloc<float>(static_cast<size_t>(partial_rows_) * nh * hd, "attention");
  partial_ml_ = device_alloc<float>(static_cast<size_t>(partial_rows_) * nh * 2, "attention");
  sampled_ids_ = device_alloc<int32_t>(max_seqs_, "sampling");
  sampled_logprobs_ = device_alloc<float>(max_seqs_, "sampling");

  // Block tables sized for the longest context the model supports (or the largest step).
  const int longest = std::max(std::max(cfg_.max_position_embeddings, max_tokens_), 1);
  max_banned_ = 1 << 16;
  max_stride_ = (longest + 15) / 16 + 1;  // for 16-token blocks; the total is checked per step
  meta_capacity_ = 5 * T + 2 * static_cast<size_t>(max_seqs_) + 5 * max_seqs_ + 1 +
                   static_cast<size_t>(max_seqs_) * max_stride_ + max_banned_;
  meta_dev_ = device_alloc<int32_t>(meta_capacity_, "step metadata");
  void* host = nullptr;
  check(cudaMallocHost(&host, meta_capacity_ * sizeof(int32_t)), "cudaMallocHost");
  host_allocations_.push_back(host);
  meta_host_ = static_cast<int32_t*>(host);
  check(cudaMallocHost(&host, max_seqs_ * sizeof(int32_t)), "cudaMallocHost");
  host_allocations_.push_back(host);
  result_ids_host_ = static_cast<int32_t*>(host);
  check(cudaMallocHost(&host, max_seqs_ * sizeof(float)), "cudaMallocHost");
  host_allocations_.push_back(host);
  result_logprobs_host_ = static_cast<float*>(host);
  size_t after_free = 0;
  check(cudaMemGetInfo(&after_free, &total), "cudaMemGetInfo");
  workspace_bytes_ = before_free - after_free;
}

void CudaBackend::gemm(const bf16* x, const bf16* w, void* y, int tokens, int n, int k,
                       bool out_f32) {
  if (const QuantLinear* q = quant_.find(w)) {
    if (small_gemm_ && tokens <= QuantLinears::gemv_rows() &&
        quant_.gemv(*q, x, y, tokens, out_f32, stream_))
      return;
    if (tokens <= QuantLinears::mma_rows() && quant_.mma(*q, x, y, tokens, out_f32, stream_))
      return;
    quant_.dequantize(*q, dequant_scratch_, stream_);
    w = dequant_scratch_;
  }
  if (small_gemm_ && gemm_small_m(x, w, y, tokens, n, k, out_f32, stream_)) return;
  const float one = 1.0f, zero = 0.0f;
  // Row-major y[t, n] = x[t, k] w[n, k]^T is column-major y^T = w^T x^T.
  check(cublasGemmEx(cublas_, CUBLAS_OP_T, CUBLAS_OP_N, n, tokens, k, &one, w, CUDA_R_16BF, k, x,
                     CUDA_R_16BF, k, &zero, y, out_f32 ? CUDA_R_32F : CUDA_R_16BF, n,
                     CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
        "cublasGemmEx");
}

void CudaBackend::warm_up() {
  // Every GEMM shape at the largest step, so cuBLAS has set up what it needs before the free
  // memory is measured (activation buffers are already allocated for that step).
  const int T = max_tokens_, H = cfg_.hidden_size, I = cfg_.intermediate_size;
  const int attn_dim = cfg_.num_heads * cfg_.head_dim;
  const LayerWeights& w = layers_[0];
  gemm(normed_, w.qkv, qkv_, T, qkv_dim_, H, false);
  gemm(attn_, w.o, delta_, T, H, attn_dim, false);
  gemm(normed_, w.gate_up, gate_up_, T, 2 * I, H, false);
  gemm(act_, w.down, delta_, T, H, I, false);
  gemm(final_hidden_, lm_head_, logits_, max_seqs_, cfg_.vocab_size, H, true);
  check(cudaStreamSynchronize(stream_), "warm-up");
}

int CudaBackend::splits_for(int tiles, int max_kv) const {
  const int group = cfg_.num_heads / cfg_.num_kv_heads;
  const int chunks = (group + 31) / 32;
  const int blocks = std::max(1, tiles * cfg_.num_kv_heads * chunks);
  int splits = (2 * num_sms_ + blocks - 1) / blocks;
  splits = std::min(splits, (max_kv + 31) / 32);  // at least one 32-key tile per split
  return std::clamp(splits, 1, kMaxSplits);
}

void CudaBackend::forward(const StepShape& s) {
  const int H = cfg_.hidden_size, I = cfg_.intermediate_size;
  const int nh = cfg_.num_heads, nkv = cfg_.num_kv_heads, hd = cfg_.head_dim;
  const float eps = static_cast<float>(cfg_.rms_norm_eps);
  const int32_t* meta = meta_dev_;
  const MetaLayout& meta_ = s.meta;
  const size_t layer_elems = static_cast<size_t>(num_blocks_) * block_size_ * nkv * hd;
  bf16* cache = static_cast<bf16*>(kv_cache_);

  timed(kNorm, [&] {
    embedding(meta + meta_.ids, embed_, residual_, s.tokens, H, cfg_.vocab_size, stream_);
  });
  for (int l = 0; l < cfg_.num_layers; ++l) {
    const LayerWeights& w = layers_[l];
    timed(kNorm, [&] {
      add_rmsnorm(l == 0 ? nullptr : delta_, residual_, w.input_norm, normed_, nullptr, s.tokens, H,
                  eps, stream_);
    });
    timed(kGemm, [&] { gemm(normed_, w.qkv, qkv_, s.tokens, qkv_dim_, H, false); });
    RopeStoreParams rp;
    rp.qkv = qkv_;
    rp.bias = w.qkv_bias;
    rp.q_norm = w.q_norm;
    rp.k_norm = w.k_norm;
    rp.eps = eps;
    rp.positions = meta + meta_.positions;
    rp.slots = meta + meta_.slots;
    rp.inv_freq = inv_freq_;
    rp.rope_scale = rope_scale_;
    rp.q_out = q_;
    rp.k_cache = cache + layer_elems * (2 * l);
    rp.v_cache = cache + layer_elems * (2 * l + 1);
    rp.tokens = s.tokens;
    rp.nh = nh;
    rp.nkv = nkv;
    rp.hd = hd;
    timed(kRope, [&] { rope_store(rp, stream_); });
    AttentionParams ap;
    ap.q = q_;
    ap.k_cache = rp.k_cache;
    ap.v_cache = rp.v_cache;
    ap.out = attn_;
    ap.tile_seq = meta + meta_.tile_seq;
    ap.tile_q0 = meta + meta_.tile_q0;
    ap.seq_q_start = meta + meta_.q_start;
    ap.seq_q_len = meta + meta_.q_len;
    ap.seq_kv_len = meta + meta_.kv_len;
    ap.block_tables = meta + meta_.block_tables;
    ap.block_table_stride = s.stride;
    ap.num_tiles = s.tiles;
    ap.tokens = s.tokens;
    ap.nh = nh;
    ap.nkv = nkv;
    ap.hd = hd;
    ap.block_size = block_size_;
    ap.scale = 1.0f / std::sqrt(static_cast<float>(hd));
    ap.splits = s.splits;
    ap.partial_out = partial_out_;
    ap.partial_ml = partial_ml_;
    timed(kAttention, [&] {
      // Tensor-core attention for steps with prefill rows unless PAGODA_CUDA_MMA_ATTENTION=0;
      // decode-only steps and head dims it declines keep the CUDA-core kernel. It runs unsplit:
      // the KV splits are sized to fill the GPU with the slower CUDA-core kernel.
      static const bool mma_attention = [] {
        const char* v = std::getenv("PAGODA_CUDA_MMA_ATTENTION");
        return !(v && std::strcmp(v, "0") == 0);
      }();
      AttentionParams unsplit = ap;
      unsplit.splits = 1;
      if (!(mma_attention && s.tokens > s.seqs && attention_mma(unsplit, stream_)))
        attention(ap, stream_);
    });
    timed(kGemm, [&] { gemm(attn_, w.o, delta_, s.tokens, H, nh * hd, false); });
    timed(kNorm, [&] {
      add_rmsnorm(delta_, residual_, w.post_norm, normed_, nullptr, s.tokens, H, eps, stream_);
    });
    timed(kGemm, [&] { gemm(normed_, w.gate_up, gate_up_, s.tokens, 2 * I, H, false); });
    timed(kMlpAct, [&] { silu_mul(gate_up_, act_, s.tokens, I, stream_); });
    timed(kGemm, [&] { gemm(act_, w.down, delta_, s.tokens, H, I, false); });
  }
  add_rmsnorm(delta_, residual_, final_norm_, final_hidden_, meta + meta_.sample_rows, s.samples, H,
              eps, stream_);
  gemm(final_hidden_, lm_head_, logits_, s.samples, cfg_.vocab_size, H, true);
  check(cudaGetLastError(), "forward");
}

void CudaBackend::run_graph(const StepShape& s) {
  const auto key = std::make_pair(s.seqs, s.stride);
  auto it = graphs_.find(key);
  if (it == graphs_.end()) {
    cudaGraph_t graph = nullptr;
    check(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal), "graph capture");
    try {
      forward(s);
    } catch (...) {
      cudaStreamEndCapture(stream_, &graph);
      if (graph) cudaGraphDestroy(graph);
      throw;
    }
    check(cudaStreamEndCapture(stream_, &graph), "graph capture");
    cudaGraphExec_t exec = nullptr;
    const cudaError_t e = cudaGraphInstantiate(&exec, graph, 0);
    cudaGraphDestroy(graph);
    check(e, "cudaGraphInstantiate");
    it = graphs_.emplace(key, exec).first;
  }
  check(cudaGraphLaunch(it->second, stream_), "cudaGraphLaunch");
}

// Captured decode batch sizes; a batch is padded up to the next one.
int graph_batch_size(int n) {
  static const int sizes[] = {1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 160, 192, 224, 256};
  for (int s : sizes)
    if (n <= s) return s;
  return -1;
}

void CudaBackend::execute(const StepInput& input, StepOutput& output) {
  output.sampled.clear();
  output.logits.clear();
  if (!kv_cache_) throw Error("CUDA backend: execute before allocate_kv_cache");
  const int S = static_cast<int>(input.chunks.size());
  if (S == 0) return;
  if (S > max_seqs_)
    throw InvalidArgument("CUDA backend: " + std::to_string(S) +
                          " sequences in one step; at most " + std::to_string(max_seqs_) +
                          " (max_num_seqs)");
  int T = 0, max_blocks = 1, max_kv = 0;
  bool decode_only = true;
  for (const SeqChunk& c : input.chunks) {
    const int n = static_cast<int>(c.token_ids.size());
    const int kv = c.context_len + n;
    const int blocks = (kv + block_size_ - 1) / block_size_;
    if (static_cast<int>(c.block_table.size()) < blocks)
      throw InvalidArgument("CUDA backend: block table of sequence " + std::to_string(c.seq_id) +
                            " covers fewer than " + std::to_string(kv) + " tokens");
    for (int i = 0; i < blocks; ++i)
      if (c.block_table[i] < 0 || c.block_table[i] >= num_blocks_)
        throw InvalidArgument("CUDA backend: block id out of range in sequence " +
                              std::to_string(c.seq_id));
    T += n;
    max_blocks = std::max(max_blocks, blocks);
    max_kv = std::max(max_kv, kv);
    decode_only = decode_only && n == 1 && c.sample;
  }
  if (T > max_tokens_)
    throw InvalidArgument("CUDA backend: " + std::to_string(T) + " tokens in one step; at most " +
                          std::to_string(max_tokens_) + " (max_num_batched_tokens)");
  // Table stride: a power of two, so graphs are captured for few distinct strides.
  int stride = 16;
  while (stride < max_blocks) stride *= 2;
  const int64_t table_capacity = static_cast<int64_t>(max_seqs_) * max_stride_;
  if (static_cast<int64_t>(stride) * S > table_capacity) {
    stride = max_blocks;
    if (static_cast<int64_t>(stride) * S > table_capacity)
      throw InvalidArgument("CUDA backend: the step's block tables exceed " +
                            std::to_string(table_capacity) + " entries (context too long)");
  }
  const auto wall_start = std::chrono::steady_clock::now();
  const int padded = graphs_enabled_ && !profile_ && decode_only ? graph_batch_size(S) : -1;
  const bool use_graph =
      padded > 0 && padded <= max_seqs_ && static_cast<int64_t>(stride) * padded <= table_capacity;
  const int rows = use_graph ? padded : S;  // sequences the kernels see
  const int qpt = attention_queries_per_tile(cfg_.num_heads, cfg_.num_kv_heads);
  int num_tiles = use_graph ? rows : 0;
  if (!use_graph)
    for (const SeqChunk& c : input.chunks)
      num_tiles += (static_cast<int>(c.token_ids.size()) + qpt - 1) / qpt;
  const int step_tokens = use_graph ? rows : T;
  const MetaLayout meta_ = layout_for(step_tokens, num_tiles, rows, stride);

  int32_t* h = meta_host_;
  int tok = 0, tiles = 0, samples = 0, banned = 0;
  std::vector<int> host_rows;  // sampled rows the GPU greedy kernel does not finish
  std::vector<int> sample_chunk;
  h[meta_.banned_offsets] = 0;
  for (int s = 0; s < rows; ++s) {
    const SeqChunk* c = s < S ? &input.chunks[s] : nullptr;
    const int n = c ? static_cast<int>(c->token_ids.size()) : (use_graph ? 1 : 0);
    const int ctx = c ? c->context_len : 0;
    h[meta_.q_start + s] = tok;
    h[meta_.q_len + s] = c ? n : 0;
    h[meta_.kv_len + s] = c ? ctx + n : 0;
    int32_t* table = h + meta_.block_tables + static_cast<size_t>(s) * stride;
    const int blocks = c ? (ctx + n + block_size_ - 1) / block_size_ : 0;
    for (int b = 0; b < stride; ++b) table[b] = b < blocks ? c->block_table[b] : 0;
    for (int i = 0; i < n; ++i) {
      const int pos = ctx + i;
      h[meta_.ids + tok + i] = c ? c->token_ids[i] : 0;
      h[meta_.positions + tok + i] = pos;
      h[meta_.slots + tok + i] =
          c ? c->block_table[pos / block_size_] * block_size_ + pos % block_size_ : -1;
    }
    const int ntiles = use_graph ? 1 : (n + qpt - 1) / qpt;
    for (int t = 0; t < ntiles; ++t) {
      h[meta_.tile_seq + tiles] = s;
      h[meta_.tile_q0 + tiles] = t * qpt;
      ++tiles;
    }
    if (c && c->sample) {
      const SamplingRow& r = c->sampling;
      // The greedy kernel reads banned ids from the metadata; the GPU sampler packs its own.
      const bool greedy_gpu = !gpu_sampling_ && !(r.temperature >= kGreedyTemperature) &&
                              r.repetition_penalty == 1.0f && r.presence_penalty == 0.0f &&
                              r.frequency_penalty == 0.0f && r.num_logprobs <= 0 &&
                              banned + static_cast<int>(r.banned_ids.size()) <= max_banned_;
      if (greedy_gpu) {
        for (int32_t id : r.banned_ids) h[meta_.banned + banned++] = id;
      } else if (!gpu_sampling_ || !GpuSampler::supports(r)) {
        host_rows.push_back(samples);
      }
      h[meta_.sample_rows + samples] = tok + n - 1;
      sample_chunk.push_back(s);
      ++samples;
      h[meta_.banned_offsets + samples] = banned;
    } else if (use_graph) {
      h[meta_.sample_rows + s] = tok;  // padding row, result ignored
    }
    tok += n;
  }
  StepShape shape;
  shape.tokens = tok;
  shape.seqs = rows;
  shape.tiles = tiles;
  shape.samples = use_graph ? rows : samples;
  shape.stride = stride;
  shape.splits = use_graph ? splits_for(rows, stride * block_size_) : splits_for(tiles, max_kv);
  while (shape.splits > 1 && shape.splits * tok > partial_rows_) --shape.splits;
  shape.meta = meta_;

  check(cudaMemcpyAsync(meta_dev_, meta_host_, (meta_.banned + banned) * sizeof(int32_t),
                        cudaMemcpyHostToDevice, stream_),
        "step metadata");
  if (use_graph)
    run_graph(shape);
  else
    forward(shape);

  auto wall_ms = [&] {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall_start)
        .count();
  };
  if (samples == 0) {
    check(cudaStreamSynchronize(stream_), "step");
    collect_profile(wall_ms());
    return;
  }
  const size_t V = cfg_.vocab_size;
  if (input.return_logits) {
    output.logits.resize(samples * V);
    check(cudaMemcpyAsync(output.logits.data(), logits_, samples * V * sizeof(float),
                          cudaMemcpyDeviceToHost, stream_),
          "logits");
  }
  if (gpu_sampling_) {
    // Rows left to the host (null here) keep their raw logits.
    std::vector<const SamplingRow*> sample_params(samples);
    for (int i = 0; i < samples; ++i) sample_params[i] = &input.chunks[sample_chunk[i]].sampling;
    for (int i : host_rows) sample_params[i] = nullptr;
    timed(kSample, [&] { sampler_.enqueue(logits_, static_cast<int>(V), sample_params, stream_); });
    check(cudaStreamSynchronize(stream_), "step");
    collect_profile(wall_ms());
    output.sampled.resize(samples);
    for (int i = 0; i < samples; ++i)
      if (sample_params[i]) output.sampled[i] = sampler_.result(i);
  } else {
    // Rows sampled on the host keep an empty banned range, so their logits stay raw.
    timed(kSample, [&] {
      greedy_sample(logits_, samples, static_cast<int>(V), meta_dev_ + meta_.banned,
                    meta_dev_ + meta_.banned_offsets, sampled_ids_, sampled_logprobs_, stream_);
    });
    check(cudaGetLastError(), "greedy_sample");
    check(cudaMemcpyAsync(result_ids_host_, sampled_ids_, samples * sizeof(int32_t),
                          cudaMemcpyDeviceToHost, stream_),
          "sampled ids");
    check(cudaMemcpyAsync(result_logprobs_host_, sampled_logprobs_, samples * sizeof(float),
                          cudaMemcpyDeviceToHost, stream_),
          "sampled logprobs");
    check(cudaStreamSynchronize(stream_), "step");
    collect_profile(wall_ms());
    output.sampled.resize(samples);
    for (int i = 0; i < samples; ++i) {
      output.sampled[i].token_id = result_ids_host_[i];
      output.sampled[i].logprob = result_logprobs_host_[i];
    }
  }
  std::vector<float> row(host_rows.empty() ? 0 : V);
  for (int i : host_rows) {
    check(cudaMemcpy(row.data(), logits_ + i * V, V * sizeof(float), cudaMemcpyDeviceToHost),
          "logits row");
    output.sampled[i] = sample_row(row, input.chunks[sample_chunk[i]].sampling);
  }
}

}  // namespace

void load_random_weights(Backend& cuda_backend, const ModelConfig& config, uint64_t seed) {
  dynamic_cast<CudaBackend&>(cuda_backend).load_random(config, seed);
}

void set_cuda_graphs_enabled(Backend& cuda_backend, bool enabled) {
  dynamic_cast<CudaBackend&>(cuda_backend).set_graphs_enabled(enabled);
}

}  // namespace pagoda::cuda

extern "C" pagoda::Backend* pagoda_cuda_create_backend(const pagoda::BackendOptions* opts,
                                                       char* err, size_t errlen) {
  auto fail = [&](const std::string& why) -> pagoda::Backend* {
    if (err && errlen) std::snprintf(err, errlen, "%s", why.c_str());
    return nullptr;
  };
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) return fail(cudaGetErrorString(e));
  if (count == 0) return fail("no CUDA GPU found");
  const pagoda::BackendOptions o = opts ? *opts : pagoda::BackendOptions{};
  if (o.device_index < 0 || o.device_index >= count)
    return fail("GPU index " + std::to_string(o.device_index) + " does not exist (" +
                std::to_string(count) + " found)");
  try {
    return new pagoda::cuda::CudaBackend(o);
  } catch (const std::exception& ex) {
    return fail(ex.what());
  }
}
