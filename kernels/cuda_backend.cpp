#include "kernels/cuda_backend_impl.h"

namespace pagoda::cuda {

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
  fused_shapes_ok_ = H % 8 == 0 && I % 8 == 0 && (nh * hd) % 8 == 0;
  // Quantized linears join the fused layer where their product takes its epilogue.
  auto fusable = [&](const bf16* m, bool swiglu, bool residual) {
    const QuantLinear* q = quant_.find(m);
    return !q || QuantLinears::fused_supported(*q, swiglu, residual);
  };
  bool all_quant = true;
  for (const LayerWeights& w : layers_) {
    fused_shapes_ok_ = fused_shapes_ok_ && fusable(w.qkv, false, false) &&
                       fusable(w.o, false, true) && fusable(w.gate_up, true, false) &&
                       fusable(w.down, false, true);
    for (const bf16* m : {w.qkv, w.o, w.gate_up, w.down}) all_quant = all_quant && quant_.find(m);
  }
  fused_max_tokens_ = all_quant ? kFusedMaxTokens : kGemvMaxTokens;
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
  norm_sumsq_ = device_alloc<float>((2 * static_cast<size_t>(cfg_.num_layers) + 1) * kFusedMaxTokens,
                                    "activations");
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

FragActOut CudaBackend::quant_input(const bf16* w, int tokens) const {
  const QuantLinear* q = quant_.find(w);
  return q ? quant_.frag_input(*q, tokens) : FragActOut{};
}

void CudaBackend::gemm(const bf16* x, const bf16* w, void* y, int tokens, int n, int k,
                       bool out_f32, const FragActOut& pre) {
  if (pre.x) {  // only the wgmma tiles read that layout
    const QuantLinear* q = quant_.find(w);
    if (!q || !quant_.gemv(*q, x, y, tokens, out_f32, stream_, &pre))
      throw Error("CUDA backend: the quantized product refused its input's tile layout");
    return;
  }
  if (const QuantLinear* q = quant_.find(w)) {
    // small_gemm_ switches the bf16-era GEMVs; int4 in fragment order has no other product.
    if ((small_gemm_ || q->frag) && QuantLinears::fused_route(*q, tokens) &&
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

void load_random_weights(Backend& cuda_backend, const ModelConfig& config, uint64_t seed) {
  dynamic_cast<CudaBackend&>(cuda_backend).load_random(config, seed);
}

void set_cuda_graphs_enabled(Backend& cuda_backend, bool enabled) {
  dynamic_cast<CudaBackend&>(cuda_backend).set_graphs_enabled(enabled);
}

void CudaBackend::set_step_timing(bool on) {
  if (on && !step_events_[0])
    for (cudaEvent_t& e : step_events_) check(cudaEventCreate(&e), "cudaEventCreate");
  step_timing_ = on;
  timings_ = {};
}

StepTimings CudaBackend::take_step_timings() {
  StepTimings t = timings_;
  timings_ = {};
  return t;
}

void set_step_timing(Backend& cuda_backend, bool enabled) {
  dynamic_cast<CudaBackend&>(cuda_backend).set_step_timing(enabled);
}

StepTimings take_step_timings(Backend& cuda_backend) {
  return dynamic_cast<CudaBackend&>(cuda_backend).take_step_timings();
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
