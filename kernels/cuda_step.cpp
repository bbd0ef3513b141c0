// One step of the CUDA backend in two halves. launch(): check, plan (step_plan.h), copy the
// metadata, enqueue the forward pass eagerly or as a captured graph, and return while the GPU
// runs it. finish(): sample on the GPU or the host (the rows' masks are read only here), wait.
#include "kernels/cuda_backend_impl.h"

namespace pagoda::cuda {

int CudaBackend::splits_for(int tiles, int max_kv) const {
  const int group = cfg_.num_heads / cfg_.num_kv_heads;
  const int chunks = (group + 31) / 32;
  const int blocks = std::max(1, tiles * cfg_.num_kv_heads * chunks);
  int splits = (2 * num_sms_ + blocks - 1) / blocks;
  splits = std::min(splits, (max_kv + 31) / 32);  // at least one 32-key tile per split
  return std::clamp(splits, 1, kMaxSplits);
}

RopeStoreParams CudaBackend::layer_rope(const StepShape& s, int l) const {
  const int nh = cfg_.num_heads, nkv = cfg_.num_kv_heads, hd = cfg_.head_dim;
  const size_t layer_elems = static_cast<size_t>(num_blocks_) * block_size_ * nkv * hd;
  bf16* cache = static_cast<bf16*>(kv_cache_);
  const int32_t* meta = meta_dev_;
  const LayerWeights& w = layers_[l];
  RopeStoreParams rp = rope_store_params(
      qkv_, meta + s.meta.positions, meta + s.meta.slots, inv_freq_, q_,
      cache + layer_elems * (2 * l), cache + layer_elems * (2 * l + 1), s.tokens, {nh, nkv, hd});
  rp.bias = w.qkv_bias;
  rp.q_norm = w.q_norm;
  rp.k_norm = w.k_norm;
  rp.eps = static_cast<float>(cfg_.rms_norm_eps);
  rp.rope_scale = rope_scale_;
  return rp;
}

AttentionParams CudaBackend::layer_attention(const StepShape& s,
                                             const RopeStoreParams& rp) const {
  const int32_t* meta = meta_dev_;
  const MetaLayout& m = s.meta;
  AttentionParams ap = attention_params(
      q_, rp.k_cache, rp.v_cache, attn_,
      {meta + m.tile_seq, meta + m.tile_q0, meta + m.q_start, meta + m.q_len, meta + m.kv_len,
       meta + m.block_tables},
      {s.tiles, s.tokens, block_size_, s.stride},
      {cfg_.num_heads, cfg_.num_kv_heads, cfg_.head_dim});
  ap.splits = s.splits;
  ap.partial_out = partial_out_;
  ap.partial_ml = partial_ml_;
  return ap;
}

// Steps with prefill rows: the tensor-core kernel, unsplit (the KV splits are sized for decode),
// unless PAGODA_CUDA_MMA_ATTENTION=0. Decode-only steps (one query and one tile a sequence): the
// tensor-core decode kernel with its per-sequence splits, unless PAGODA_CUDA_DECODE_MMA=0. The
// CUDA-core kernel where those decline (head dims, devices below sm_80).
void CudaBackend::run_attention(const StepShape& s, const AttentionParams& ap) {
  if (s.tokens > s.seqs) {
    AttentionParams unsplit = ap;
    unsplit.splits = 1;
    if (mma_attention_ && attention_mma(unsplit, stream_)) return;
  } else if (decode_mma_ && s.tiles == s.seqs) {
    DecodeOptions o;
    const int chunks = (cfg_.num_heads / cfg_.num_kv_heads + 15) / 16;
    o.split_keys = decode_split_keys_ > 0
                       ? decode_split_keys_
                       : decode_split_keys(s.tiles * cfg_.num_kv_heads * chunks, num_sms_);
    o.prefetch = decode_prefetch_;
    // No more splits than the longest sequence the step may hold needs (one: no merge kernel).
    AttentionParams dp = ap;
    dp.splits = decode_max_splits(s.max_kv, ap.splits, o.split_keys);
    if (attention_decode_mma(dp, o, stream_)) return;
  }
  attention(ap, stream_);
}

void CudaBackend::forward(const StepShape& s) {
  if (fused_step(s)) return forward_fused(s);
  const int H = cfg_.hidden_size, I = cfg_.intermediate_size;
  const int nh = cfg_.num_heads, hd = cfg_.head_dim;
  const float eps = static_cast<float>(cfg_.rms_norm_eps);
  const int32_t* meta = meta_dev_;
  const MetaLayout& meta_ = s.meta;

  timed(kNorm, [&] {
    embedding(meta + meta_.ids, embed_, residual_, s.tokens, H, cfg_.vocab_size, stream_);
  });
  for (int l = 0; l < cfg_.num_layers; ++l) {
    const LayerWeights& w = layers_[l];
    // Int4 products on the wgmma tiles take their input in those tiles' layout from the norm and
    // SiLU kernels (quant_input; q12), which saves their reorder kernel.
    const FragActOut qkv_in = quant_input(w.qkv, s.tokens);
    timed(kNorm, [&] {
      add_rmsnorm(l == 0 ? nullptr : delta_, residual_, w.input_norm, normed_, nullptr, s.tokens, H,
                  eps, stream_, qkv_in);
    });
    timed(kGemm, [&] { gemm(normed_, w.qkv, qkv_, s.tokens, qkv_dim_, H, false, qkv_in); });
    const RopeStoreParams rp = layer_rope(s, l);
    timed(kRope, [&] { rope_store(rp, stream_); });
    const AttentionParams ap = layer_attention(s, rp);
    timed(kAttention, [&] { run_attention(s, ap); });
    timed(kGemm, [&] { gemm(attn_, w.o, delta_, s.tokens, H, nh * hd, false); });
    const FragActOut gate_up_in = quant_input(w.gate_up, s.tokens);
    timed(kNorm, [&] {
      add_rmsnorm(delta_, residual_, w.post_norm, normed_, nullptr, s.tokens, H, eps, stream_,
                  gate_up_in);
    });
    timed(kGemm, [&] {
      gemm(normed_, w.gate_up, gate_up_, s.tokens, 2 * I, H, false, gate_up_in);
    });
    const FragActOut down_in = quant_input(w.down, s.tokens);
    timed(kMlpAct, [&] { silu_mul(gate_up_, act_, s.tokens, I, stream_, down_in); });
    timed(kGemm, [&] { gemm(act_, w.down, delta_, s.tokens, H, I, false, down_in); });
  }
  add_rmsnorm(delta_, residual_, final_norm_, final_hidden_, meta + meta_.sample_rows, s.samples, H,
              eps, stream_);
  gemm(final_hidden_, lm_head_, logits_, s.samples, cfg_.vocab_size, H, true);
  check(cudaGetLastError(), "forward");
}

// The same layer as forward() in six kernels (five without q/k norms): the input norm runs inside
// the QKV product and the post-attention norm inside the gate/up product (from sums of squares
// that the embedding and the residual epilogues of the o and down products accumulate), SiLU * up
// is the gate/up product's epilogue, and RoPE and the cache write the QKV product's.
void CudaBackend::forward_fused(const StepShape& s) {
  const int H = cfg_.hidden_size, I = cfg_.intermediate_size;
  const int attn_dim = cfg_.num_heads * cfg_.head_dim;
  const int L = cfg_.num_layers;
  const float eps = static_cast<float>(cfg_.rms_norm_eps);
  const int32_t* meta = meta_dev_;
  // Sites of sums of squares: 2 l before layer l's QKV, 2 l + 1 before its gate/up.
  auto sums = [&](int site) { return norm_sumsq_ + site * kFusedMaxTokens; };
  auto run = [&](GemvParams p) {
    p.early_weights = gemv_early_weights_;
    if (const QuantLinear* q = quant_.find(p.w)) {  // int4: QuantLinears::fused_product
      if (!quant_.fused_product(*q, p, normed_, stream_))
        throw Error("CUDA backend: fused quantized product refused its shape");
      return;
    }
    // The norm: staged once per block where the input fits (PAGODA_CUDA_GEMV_STAGE=0: never);
    // else on the fly, or normalized once for large products (kGemvNormFuseMaxElems).
    p.stage_norm = gemv_stage_norm_ && p.norm_residual &&
                   sizeof(bf16) * p.m * static_cast<size_t>(p.k) <= kGemvStagePreferBytes;
    const int rows = p.swiglu ? 2 * p.n : p.n;
    if (p.norm_residual && !p.stage_norm &&
        static_cast<int64_t>(rows) * p.k > kGemvNormFuseMaxElems) {
      rms_normalize(p.norm_residual, p.norm_sumsq, p.norm_weight, normed_, p.m, p.k, p.eps,
                    stream_);
      p.norm_residual = nullptr;
      p.x = normed_;
    }
    if (!gemv(p, stream_)) throw Error("CUDA backend: fused decode product refused its shape");
  };

  timed(kNorm, [&] {
    embedding(meta + s.meta.ids, embed_, residual_, s.tokens, H, cfg_.vocab_size, stream_,
              norm_sumsq_, 2 * L + 1);
  });
  for (int l = 0; l < L; ++l) {
    const LayerWeights& w = layers_[l];
    GemvParams qkv;
    qkv.norm_residual = residual_, qkv.norm_sumsq = sums(2 * l), qkv.norm_weight = w.input_norm;
    qkv.eps = eps, qkv.w = w.qkv, qkv.m = s.tokens, qkv.n = qkv_dim_, qkv.k = H, qkv.y = qkv_;
    const RopeStoreParams rp = layer_rope(s, l);
    // Without q/k norms (which need the whole head) RoPE and the cache write are the QKV
    // product's epilogue. The bf16 GEMV's writes no product; the quantized one keeps y, where
    // it stores when its kernel does not take the heads (then runs rope_store itself).
    qkv.rope_epilogue = fused_rope_ && !rp.q_norm && !rp.k_norm;
    if (qkv.rope_epilogue) {
      qkv.rope = rp;
      if (!quant_.find(w.qkv)) qkv.y = nullptr;
    }
    timed(kGemm, [&] { run(qkv); });
    if (!qkv.rope_epilogue) timed(kRope, [&] { rope_store(rp, stream_); });
    const AttentionParams ap = layer_attention(s, rp);
    timed(kAttention, [&] { run_attention(s, ap); });
    GemvParams o;
    o.x = attn_, o.w = w.o, o.m = s.tokens, o.n = H, o.k = attn_dim;
    o.residual = residual_, o.sumsq_out = sums(2 * l + 1);
    timed(kGemm, [&] { run(o); });
    GemvParams gate_up;
    gate_up.norm_residual = residual_, gate_up.norm_sumsq = sums(2 * l + 1);
    gate_up.norm_weight = w.post_norm, gate_up.eps = eps, gate_up.w = w.gate_up;
    gate_up.m = s.tokens, gate_up.n = I, gate_up.k = H, gate_up.swiglu = true, gate_up.y = act_;
    timed(kGemm, [&] { run(gate_up); });
    GemvParams down;
    down.x = act_, down.w = w.down, down.m = s.tokens, down.n = H, down.k = I;
    down.residual = residual_, down.sumsq_out = sums(2 * l + 2);
    timed(kGemm, [&] { run(down); });
  }
  add_rmsnorm(nullptr, residual_, final_norm_, final_hidden_, meta + s.meta.sample_rows, s.samples,
              H, eps, stream_);
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
    size_t nodes = 0;
    cudaGraphGetNodes(graph, nullptr, &nodes);
    graph_kernels_[key] = static_cast<int>(nodes);
    cudaGraphExec_t exec = nullptr;
    const cudaError_t e = cudaGraphInstantiate(&exec, graph, 0);
    cudaGraphDestroy(graph);
    check(e, "cudaGraphInstantiate");
    it = graphs_.emplace(key, exec).first;
  }
  check(cudaGraphLaunch(it->second, stream_), "cudaGraphLaunch");
  if (step_timing_) {
    ++timings_.graph_steps;
    timings_.graph_kernels += graph_kernels_[key];
  }
}

// Waits for the step's device work; accounts its time (PAGODA_CUDA_PROFILE, set_step_timing).
void CudaBackend::step_sync(std::chrono::steady_clock::time_point wall_start) {
  if (step_timing_) check(cudaEventRecord(step_events_[2], stream_), "step timing");
  check(cudaStreamSynchronize(stream_), "step");
  const double wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall_start)
          .count();
  collect_profile(wall_ms);
  if (!step_timing_) return;
  float forward = 0, sample = 0;
  cudaEventElapsedTime(&forward, step_events_[0], step_events_[1]);
  cudaEventElapsedTime(&sample, step_events_[1], step_events_[2]);
  ++timings_.steps;
  timings_.execute_ms += wall_ms;
  timings_.forward_ms += forward;
  timings_.sample_ms += sample;
}

void CudaBackend::launch(const StepInput& input) {
  in_flight_.check_idle("CUDA backend");
  if (!kv_cache_) throw Error("CUDA backend: execute before allocate_kv_cache");
  plan_ = StepPlan{};
  const int S = static_cast<int>(input.chunks.size());
  if (S == 0) {
    in_flight_.launched(input);
    return;
  }
  check_step(input, {cfg_.vocab_size, num_blocks_, block_size_, max_seqs_, max_tokens_},
             "CUDA backend");
  StepPlanConfig pc;
  pc.block_size = block_size_;
  pc.max_seqs = max_seqs_;
  pc.max_table_entries = static_cast<int64_t>(max_seqs_) * max_stride_;
  pc.max_banned = max_banned_;
  pc.queries_per_tile = attention_queries_per_tile(cfg_.num_heads, cfg_.num_kv_heads);
  pc.graphs = graphs_enabled_ && !profile_;
  pc.gpu_sampling = gpu_sampling_;
  pc.gpu_sampler_max_logprobs = kMaxTopLogprobs;
  step_start_ = std::chrono::steady_clock::now();
  // Routing reads whether a row has a mask (its size), never the mask words (Backend::launch).
  plan_ = plan_step(input, pc, std::span<int32_t>(meta_host_, meta_capacity_));
  const StepPlan& plan = plan_;
  StepShape shape;
  shape.tokens = plan.tokens;
  shape.seqs = plan.rows;
  shape.tiles = plan.tiles;
  shape.samples = plan.use_graph ? plan.rows : plan.samples;
  shape.stride = plan.stride;
  shape.max_kv = plan.use_graph ? plan.stride * block_size_ : plan.max_kv;
  shape.splits = splits_for(plan.use_graph ? plan.rows : plan.tiles, shape.max_kv);
  while (shape.splits > 1 && shape.splits * plan.tokens > partial_rows_) --shape.splits;
  shape.meta = plan.meta;

  if (step_timing_) check(cudaEventRecord(step_events_[0], stream_), "step timing");
  check(cudaMemcpyAsync(meta_dev_, meta_host_, plan.metadata_words * sizeof(int32_t),
                        cudaMemcpyHostToDevice, stream_),
        "step metadata");
  if (plan.use_graph)
    run_graph(shape);
  else
    forward(shape);
  if (step_timing_) check(cudaEventRecord(step_events_[1], stream_), "step timing");
  in_flight_.launched(input);
}

void CudaBackend::finish(const StepInput& input, StepOutput& output) {
  in_flight_.finish(input, "CUDA backend");
  output.sampled.clear();
  output.logits.clear();
  if (input.chunks.empty()) return;
  const StepPlan& plan = plan_;
  const MetaLayout& meta_ = plan.meta;
  const int samples = plan.samples;
  if (samples == 0) {
    step_sync(step_start_);
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
    for (int i = 0; i < samples; ++i)
      sample_params[i] = plan.routes[i] == SampleRoute::kHost
                             ? nullptr
                             : &input.chunks[plan.sample_chunk[i]].sampling;
    timed(kSample, [&] { sampler_.enqueue(logits_, static_cast<int>(V), sample_params, stream_); });
    step_sync(step_start_);
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
    step_sync(step_start_);
    output.sampled.resize(samples);
    for (int i = 0; i < samples; ++i) {
      output.sampled[i].token_id = result_ids_host_[i];
      output.sampled[i].logprob = result_logprobs_host_[i];
    }
  }
  std::vector<float> row;
  for (int i = 0; i < samples; ++i) {
    if (plan.routes[i] != SampleRoute::kHost) continue;
    row.resize(V);
    check(cudaMemcpy(row.data(), logits_ + i * V, V * sizeof(float), cudaMemcpyDeviceToHost),
          "logits row");
    output.sampled[i] = sample_row(row, input.chunks[plan.sample_chunk[i]].sampling);
  }
}

}  // namespace pagoda::cuda
