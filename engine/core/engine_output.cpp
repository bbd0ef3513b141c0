// The output side of the engine: sampled tokens become text deltas, stop checks and finished
// requests; aborts; and prompt_logits.
#include <future>

#include "engine/core/llm_engine.h"
#include "engine/util/error.h"

namespace pagoda {

namespace {
double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}
}  // namespace

RequestOutput LlmEngine::make_output(const SeqState& state, const Sequence& seq) const {
  RequestOutput out;
  out.request_id = state.request->id;
  out.index = state.index;
  out.prompt_tokens = seq.num_prompt_tokens;
  out.completion_tokens = seq.num_output_tokens();
  out.cached_prompt_tokens = seq.num_cached_tokens;
  return out;
}

void LlmEngine::finish_seq(int64_t seq_id, RequestOutput& out) {
  SeqState& state = seqs_.at(seq_id);
  const auto now = Clock::now();
  const auto arrival = state.request->arrival;
  out.finish = state.output->finish();
  out.stop_reason = state.output->stop_reason();
  if (state.scheduled) out.timing.queued_s = seconds(state.first_scheduled - arrival);
  if (out.completion_tokens > 0) {
    out.timing.ttft_s = seconds(state.first_token - arrival);
    out.timing.decode_s = seconds(now - state.first_token);
  }
  out.timing.e2e_s = seconds(now - arrival);
  auto req = state.request;
  scheduler_.finish(seq_id);
  seqs_.erase(seq_id);
  if (--req->num_unfinished == 0) {
    requests_.erase(req->id);
    std::lock_guard lock(inbox_mutex_);
    active_ids_.erase(req->id);
  }
  std::lock_guard lock(stats_mutex_);
  ++stats_.requests_finished;
}

void LlmEngine::abort_request(const std::string& request_id, FinishReason reason,
                              const std::string& error, std::vector<Emit>& emits) {
  auto it = requests_.find(request_id);
  if (it == requests_.end()) return;
  auto req = it->second;
  for (int64_t seq_id : req->seq_ids) {
    auto s = seqs_.find(seq_id);
    if (s == seqs_.end()) continue;  // this index already finished
    Sequence* seq = scheduler_.get(seq_id);
    RequestOutput out = make_output(s->second, *seq);
    s->second.output->finish_with(reason);
    out.error = error;
    finish_seq(seq_id, out);
    emits.emplace_back(req->callback, std::move(out));
  }
}

void LlmEngine::postprocess(const SchedulerOutput& sched, const StepInput& input,
                            const StepOutput& output, std::vector<Emit>& emits) {
  std::vector<int32_t> sampled;
  for (const auto& t : output.sampled) sampled.push_back(t.token_id);
  size_t num_sample = 0;
  for (const auto& c : input.chunks) num_sample += c.sample ? 1 : 0;
  if (sampled.size() != num_sample)
    throw Error("the backend returned " + std::to_string(sampled.size()) + " tokens for " +
                std::to_string(num_sample) + " sequences");
  scheduler_.update(sched, sampled);
  const size_t vocab = sampled.empty() ? 0 : output.logits.size() / sampled.size();
  size_t k = 0;
  for (const auto& c : sched.chunks) {
    if (!c.sample) continue;
    const SampledToken& tok = output.sampled[k];
    const size_t row = k++;
    const int64_t seq_id = c.seq->seq_id;
    SeqState& state = seqs_.at(seq_id);
    const Sequence& seq = *c.seq;
    const std::shared_ptr<Request> req = state.request;  // finish_seq may drop the state
    if (seq.num_output_tokens() == 1) state.first_token = Clock::now();
    if (req->logits_out && vocab > 0)
      req->logits_out->assign(output.logits.begin() + row * vocab,
                              output.logits.begin() + (row + 1) * vocab);
    RequestOutput out = make_output(state, seq);
    if (!advance_grammar(state, tok.token_id)) {
      // Only a backend that ignored the mask gets here: never emit invalid output.
      state.output->finish_with(FinishReason::Error);
      out.error = "constrained decoding: the backend sampled token " +
                  std::to_string(tok.token_id) + ", which the grammar does not allow";
      finish_seq(seq_id, out);
      emits.emplace_back(req->callback, std::move(out));
      continue;
    }
    out.token_ids.push_back(tok.token_id);
    if (req->params.logprobs >= 0)
      out.logprobs.push_back({tok.token_id, tok.logprob, tok.top_logprobs});
    out.text_delta = state.output->push(tok.token_id, seq.num_output_tokens(), seq.num_tokens());
    // With ignore_eos the grammar still ends the output once it accepted an end id.
    if (state.matcher && state.matcher->terminated() && !state.output->finished())
      out.text_delta += state.output->finish_stop();
    if (state.output->finished()) finish_seq(seq_id, out);
    emits.emplace_back(req->callback, std::move(out));
  }
}

std::vector<float> LlmEngine::prompt_logits(const std::vector<int32_t>& prompt_ids) {
  SamplingParams params;
  params.temperature = 0;
  params.max_tokens = 1;
  params.ignore_eos = true;
  validate(prompt_ids, params);
  std::vector<float> logits;
  std::promise<void> done;
  auto req = std::make_shared<Request>();
  req->id = "__prompt_logits_" + std::to_string(logits_counter_++);
  req->params = params;
  req->prompt = prompt_ids;
  req->arrival = Clock::now();
  req->logits_out = &logits;
  std::string error;
  req->callback = [&](const RequestOutput& out) {
    if (out.finish == FinishReason::None) return;
    error = out.error;
    done.set_value();
  };
  auto finished = done.get_future();
  enqueue(req);
  if (thread_.joinable()) {
    finished.wait();
  } else {
    while (finished.wait_for(std::chrono::seconds(0)) != std::future_status::ready) step();
  }
  if (!error.empty()) throw Error(error);
  if (logits.empty()) throw Error("the backend returned no logits");
  return logits;
}

}  // namespace pagoda
