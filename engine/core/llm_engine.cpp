#include "engine/core/llm_engine.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <random>

#include "engine/util/error.h"

namespace pagoda {

LlmEngine::LlmEngine(Parts parts)
    : parts_(std::move(parts)),
      blocks_(parts_.num_kv_blocks, parts_.config.block_size, parts_.config.enable_prefix_caching),
      scheduler_({.max_num_seqs = parts_.config.max_num_seqs,
                  .max_num_batched_tokens = parts_.config.max_num_batched_tokens},
                 blocks_) {
  auto add_eos = [&](int32_t id) {
    if (std::find(eos_ids_.begin(), eos_ids_.end(), id) == eos_ids_.end()) eos_ids_.push_back(id);
  };
  for (int32_t id : parts_.tokenizer->stop_ids()) add_eos(id);
  for (int32_t id : parts_.model.eos_token_ids) add_eos(id);
  for (int32_t id : parts_.defaults.eos_token_ids) add_eos(id);
  stats_.backend = parts_.backend->name();
  stats_.device = parts_.backend->device_name();
  record_step(Clock::now(), 0, 0);
  if (parts_.config.start_thread) thread_ = std::thread([this] { run_loop(); });
}

LlmEngine::~LlmEngine() {
  {
    std::lock_guard lock(inbox_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  // Whatever is left is aborted so that every caller hears its request end.
  // Outputs not delivered yet go first, so that each request's outputs stay in order.
  std::lock_guard step_lock(step_mutex_);
  drain_inbox(undelivered_);
  std::vector<std::string> ids;
  for (const auto& [id, req] : requests_) ids.push_back(id);
  for (const auto& id : ids) abort_request(id, FinishReason::Abort, "", undelivered_);
  deliver();
}

void LlmEngine::validate(const std::vector<int32_t>& prompt_ids, const SamplingParams& p) const {
  if (prompt_ids.empty()) throw InvalidArgument("the prompt is empty");
  if (static_cast<int>(prompt_ids.size()) >= parts_.max_model_len)
    throw InvalidArgument("the prompt has " + std::to_string(prompt_ids.size()) +
                          " tokens; this model's context holds " +
                          std::to_string(parts_.max_model_len) + " (prompt plus output)");
  const int32_t vocab = std::max(parts_.model.vocab_size, parts_.tokenizer->vocab_size());
  for (int32_t id : prompt_ids)
    if (id < 0 || id >= vocab)
      throw InvalidArgument("token id " + std::to_string(id) + " is outside the vocabulary (" +
                            std::to_string(vocab) + ")");
  if (auto e = p.check()) throw InvalidArgument(e->message);
}

void LlmEngine::add_request(const std::string& request_id, std::vector<int32_t> prompt_ids,
                            const SamplingParams& params, OutputCallback callback) {
  validate(prompt_ids, params);
  auto req = std::make_shared<Request>();
  req->id = request_id;
  req->params = params;
  req->callback = std::move(callback);
  req->prompt = std::move(prompt_ids);
  req->arrival = Clock::now();
  req->seed = params.seed ? *params.seed : std::random_device{}() * 0x100000001ull;
  if (params.structured_output) {
    req->grammar = grammar::compile_grammar(*params.structured_output);  // cached
    // Built here, off the step thread, the first time; the grammar's masks for it are then
    // computed in the background from now on (once per grammar and vocabulary).
    req->grammar->start_precompute(token_vocabulary());
  }
  enqueue(std::move(req));
}

void LlmEngine::enqueue(std::shared_ptr<Request> request) {
  {
    std::lock_guard lock(inbox_mutex_);
    if (stopping_) throw Error("the engine is shutting down");
    if (!active_ids_.insert(request->id).second)
      throw InvalidArgument("request id '" + request->id + "' is already in use");
    inbox_.push_back(std::move(request));
  }
  wake_.notify_all();
}

void LlmEngine::abort(const std::string& request_id) {
  {
    std::lock_guard lock(inbox_mutex_);
    if (!active_ids_.count(request_id)) return;
    abort_inbox_.push_back(request_id);
  }
  wake_.notify_all();
}

bool LlmEngine::has_unfinished() const {
  std::lock_guard lock(inbox_mutex_);
  return !active_ids_.empty();
}

bool LlmEngine::step() {
  if (thread_.joinable()) return false;  // the engine thread drives itself
  std::lock_guard lock(step_mutex_);
  return step_locked();
}

void LlmEngine::run_loop() {
  for (;;) {
    {
      std::unique_lock lock(inbox_mutex_);
      wake_.wait(
          lock, [&] { return stopping_ || !inbox_.empty() || !abort_inbox_.empty() || has_work_; });
      if (stopping_) return;
    }
    std::lock_guard step_lock(step_mutex_);
    step_locked();
  }
}

void LlmEngine::drain_inbox(std::vector<Emit>& emits) {
  std::deque<std::shared_ptr<Request>> adds;
  std::vector<std::string> aborts;
  {
    std::lock_guard lock(inbox_mutex_);
    adds.swap(inbox_);
    aborts.swap(abort_inbox_);
  }
  for (auto& req : adds) admit(req);
  for (const auto& id : aborts) abort_request(id, FinishReason::Abort, "", emits);
}

void LlmEngine::admit(const std::shared_ptr<Request>& req) {
  requests_[req->id] = req;
  const int prompt_len = static_cast<int>(req->prompt.size());
  const int room = parts_.max_model_len - prompt_len;
  const int max_tokens = req->params.max_tokens < 0 ? room : std::min(req->params.max_tokens, room);
  req->num_unfinished = req->params.n;
  const int64_t leader = next_seq_id_;
  for (int i = 0; i < req->params.n; ++i) {
    auto seq = std::make_unique<Sequence>();
    seq->seq_id = next_seq_id_++;
    seq->token_ids = req->prompt;
    seq->num_prompt_tokens = prompt_len;
    seq->group_leader = req->params.n > 1 ? leader : -1;
    SeqState& state = seqs_[seq->seq_id];
    state.request = req;
    state.index = i;
    state.output = std::make_unique<SequenceOutput>(*parts_.tokenizer, req->params, eos_ids_,
                                                    max_tokens, parts_.max_model_len);
    if (req->grammar) {
      std::vector<int32_t> end_ids = eos_ids_;
      end_ids.insert(end_ids.end(), req->params.stop_token_ids.begin(),
                     req->params.stop_token_ids.end());
      state.matcher =
          std::make_unique<grammar::GrammarMatcher>(req->grammar, token_vocab_, end_ids);
    }
    req->seq_ids.push_back(seq->seq_id);
    scheduler_.add(std::move(seq));
  }
}

SamplingRow LlmEngine::sampling_row(const Sequence& seq, const SeqState& state,
                                    std::vector<int32_t>& banned_storage) const {
  const SamplingParams& p = state.request->params;
  SamplingRow row;
  row.temperature = p.temperature;
  row.top_k = p.top_k;
  row.top_p = p.top_p;
  row.min_p = p.min_p;
  row.repetition_penalty = p.repetition_penalty;
  row.presence_penalty = p.presence_penalty;
  row.frequency_penalty = p.frequency_penalty;
  row.seed = state.request->seed + static_cast<uint64_t>(state.index);
  row.step = static_cast<uint64_t>(seq.num_output_tokens());
  row.num_logprobs = p.logprobs;
  row.prompt_ids = seq.prompt_ids();
  row.output_ids = seq.output_ids();
  banned_storage = state.output->banned_ids(seq.num_output_tokens());
  row.banned_ids = banned_storage;
  return row;
}

std::shared_ptr<const grammar::TokenVocabulary> LlmEngine::token_vocabulary() {
  std::lock_guard lock(vocab_mutex_);
  if (!token_vocab_)
    token_vocab_ =
        std::make_shared<grammar::TokenVocabulary>(*parts_.tokenizer, parts_.model.vocab_size);
  return token_vocab_;
}

void LlmEngine::fill_masks(const std::vector<SeqState*>& states) {
  if (states.empty()) return;
  const auto start = Clock::now();
  if (!mask_pool_)
    mask_pool_ = std::make_unique<cpu::ThreadPool>(
        static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 8u)));
  cpu::ThreadPool& pool = *mask_pool_;
  const int64_t n = static_cast<int64_t>(states.size());
  // First the masks the grammar has cached (a copy each; the precompute makes most of them).
  std::vector<uint8_t> warm(states.size());
  auto copy = [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      warm[i] = states[i]->matcher->fill_cached_mask(states[i]->mask);  // the StepInput's span
  };
  if (n == 1)
    copy(0, 1);
  else
    pool.parallel_for(n, copy, int64_t{1} << 17);
  std::vector<SeqState*> cold;
  for (int64_t i = 0; i < n; ++i)
    if (!warm[i]) cold.push_back(states[i]);
  // Then the masks to compute: a walk of the vocabulary trie, up to milliseconds. A few cold
  // rows go one after the other, each large walk split over the pool (so one cold state does
  // not keep a core busy while the others idle); many go one row per thread.
  if (cold.size() * 2 <= static_cast<size_t>(pool.size())) {
    const grammar::ParallelFor split = [&](int parts, const std::function<void(int)>& fn) {
      pool.parallel_for(
          parts,
          [&](int64_t begin, int64_t end) {
            for (int64_t k = begin; k < end; ++k) fn(static_cast<int>(k));
          },
          int64_t{1} << 30);
    };
    for (SeqState* s : cold) s->matcher->fill_mask(s->mask, &split, pool.size());
  } else {
    pool.parallel_for(
        static_cast<int64_t>(cold.size()),
        [&](int64_t begin, int64_t end) {
          for (int64_t i = begin; i < end; ++i) cold[i]->matcher->fill_mask(cold[i]->mask);
        },
        int64_t{1} << 30);
  }
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  std::lock_guard lock(stats_mutex_);
  ++stats_.mask_steps;
  stats_.masks += n;
  stats_.cold_masks += static_cast<int64_t>(cold.size());
  stats_.cold_mask_steps += !cold.empty();
  stats_.max_cold_masks_per_step =
      std::max(stats_.max_cold_masks_per_step, static_cast<int64_t>(cold.size()));
  stats_.mask_fill_ms_total += ms;
  stats_.mask_fill_ms_max = std::max(stats_.mask_fill_ms_max, ms);
}

bool LlmEngine::advance_grammar(SeqState& state, int32_t token) {
  return !state.matcher || state.matcher->accept(token);
}

bool LlmEngine::step_locked() {
  drain_inbox(undelivered_);  // aborts: after the outputs still undelivered, in order
  const auto start = Clock::now();
  bool worked = !undelivered_.empty();
  StepTally tally{.pending = true, .start = start};
  if (scheduler_.has_unfinished()) {
    worked = true;
    SchedulerOutput sched = scheduler_.schedule();
    if (sched.empty()) {
      // Nothing fits even with an empty batch: fail the waiting requests instead of spinning.
      std::vector<std::string> ids;
      for (const auto& [id, req] : requests_) ids.push_back(id);
      for (const auto& id : ids)
        abort_request(id, FinishReason::Error, "the KV cache cannot hold this request",
                      undelivered_);
    } else {
      StepBatch batch;
      build_batch(sched, start, batch);
      run_batch(sched, batch, tally);
    }
  }
  bool next_step = false;
  {
    std::lock_guard lock(inbox_mutex_);
    has_work_ = next_step = scheduler_.has_unfinished();
  }
  record_tally();  // still pending when no forward pass ran to hide it behind
  unrecorded_ = tally;
  // No step follows (all done, or the engine goes idle): nobody may wait for a sampled token.
  if (!next_step) deliver();
  return worked;
}

void LlmEngine::build_batch(const SchedulerOutput& sched, Clock::time_point start,
                            StepBatch& batch) {
  StepInput& input = batch.input;
  batch.banned.resize(sched.chunks.size());
  for (size_t i = 0; i < sched.chunks.size(); ++i) {
    const auto& c = sched.chunks[i];
    SeqState& state = seqs_.at(c.seq->seq_id);
    if (!state.scheduled) {
      state.scheduled = true;
      state.first_scheduled = start;
    }
    SeqChunk chunk;
    chunk.seq_id = c.seq->seq_id;
    chunk.token_ids =
        std::span<const int32_t>(c.seq->token_ids).subspan(c.context_len, c.num_tokens);
    chunk.context_len = c.context_len;
    chunk.block_table = c.block_table;
    chunk.sample = c.sample;
    if (c.sample) {
      std::vector<int32_t>& banned = batch.banned[i];
      chunk.sampling = sampling_row(*c.seq, state, banned);
      if (state.matcher) {
        // The span is the row's mask buffer; fill_masks writes its words after launch().
        state.mask.resize(state.matcher->vocabulary().mask_words());
        chunk.sampling.allowed_tokens = state.mask;
        batch.constrained.push_back(&state);
        // Only an end id can follow: min_tokens must not ban it.
        if (state.matcher->is_complete() && !state.matcher->can_continue()) {
          banned.clear();
          chunk.sampling.banned_ids = {};
        }
      }
      if (state.request->logits_out) input.return_logits = true;
    }
    input.chunks.push_back(chunk);
    batch.prompt_tokens += std::max(
        0, std::min(c.context_len + c.num_tokens, c.seq->num_prompt_tokens) - c.context_len);
  }
}

void LlmEngine::run_batch(const SchedulerOutput& sched, StepBatch& batch, StepTally& tally) {
  tally.prompt_tokens = batch.prompt_tokens;
  Backend& backend = *parts_.backend;
  bool in_flight = false;
  try {
    backend.launch(batch.input);
    in_flight = true;
    // While the forward pass runs: the previous step's outputs and stats, then this step's masks.
    deliver();
    fill_masks(batch.constrained);
    in_flight = false;
    StepOutput output;
    backend.finish(batch.input, output);
    const size_t first = undelivered_.size();
    postprocess(sched, batch.input, output, undelivered_);
    for (size_t i = first; i < undelivered_.size(); ++i)
      tally.gen_tokens += static_cast<int64_t>(undelivered_[i].second.token_ids.size());
  } catch (const std::exception& e) {
    if (in_flight) {  // the backend must not keep a launched step: end it, drop its tokens
      try {
        StepOutput dropped;
        backend.finish(batch.input, dropped);
      } catch (const std::exception&) {
      }
    }
    std::vector<std::string> ids;
    for (const auto& c : sched.chunks)
      if (auto it = seqs_.find(c.seq->seq_id); it != seqs_.end())
        ids.push_back(it->second.request->id);
    for (const auto& id : ids)
      abort_request(id, FinishReason::Error, std::string("backend error: ") + e.what(),
                    undelivered_);
  }
}

void LlmEngine::record_tally() {
  if (!unrecorded_.pending) return;
  unrecorded_.pending = false;
  record_step(unrecorded_.start, unrecorded_.prompt_tokens, unrecorded_.gen_tokens);
}

void LlmEngine::deliver() {
  record_tally();
  std::vector<Emit> emits;
  emits.swap(undelivered_);
  for (auto& [callback, out] : emits) {
    if (!callback) continue;
    try {
      callback(out);
    } catch (const std::exception& e) {
      std::cerr << "pagoda: output callback of request " << out.request_id << " threw: " << e.what()
                << "\n";
    }
  }
}

}  // namespace pagoda
