#include "tests/app/test_server_fake_engine.h"

#include "engine/util/error.h"
#include "engine/util/utf8.h"

namespace pagoda::testing {

FakeEngine::FakeEngine(const std::filesystem::path& model_dir, std::chrono::microseconds step_delay,
                       int max_model_len)
    : tokenizer_(Tokenizer::from_dir(model_dir)),
      template_(ChatTemplate::from_dir(model_dir)),
      config_(ModelConfig::from_dir(model_dir)),
      defaults_(GenerationDefaults::from_dir(model_dir)),
      step_delay_(step_delay),
      max_model_len_(max_model_len) {
  thread_ = std::thread([this] { loop(); });
}

FakeEngine::~FakeEngine() {
  quit_ = true;
  cv_.notify_all();
  thread_.join();
}

std::string FakeEngine::reply_for(const std::vector<int32_t>& prompt_ids) const {
  std::string prompt = tokenizer_->decode(prompt_ids, false);
  if (script_)
    if (std::optional<std::string> scripted = script_(prompt)) return *scripted;
  const std::string user = "<|im_start|>user\n", end = "<|im_end|>";
  size_t u = prompt.rfind(user);
  if (u != std::string::npos) {
    size_t start = u + user.size();
    size_t e = prompt.find(end, start);
    return "You said: " + prompt.substr(start, e == std::string::npos ? e : e - start);
  }
  return "You said: " + prompt;
}

void FakeEngine::add_request(const std::string& request_id, std::vector<int32_t> prompt_ids,
                             const SamplingParams& params, OutputCallback callback) {
  if (prompt_ids.empty()) throw InvalidArgument("the prompt is empty");
  if (static_cast<int>(prompt_ids.size()) >= max_model_len_)
    throw InvalidArgument("the prompt is longer than the context");
  Req r;
  r.id = request_id;
  r.params = params;
  r.callback = std::move(callback);
  r.arrival = std::chrono::steady_clock::now();
  std::vector<int32_t> reply = tokenizer_->encode(reply_for(prompt_ids), false);
  reply.push_back(tokenizer_->stop_ids().empty() ? 0 : tokenizer_->stop_ids().front());
  r.prompt = std::move(prompt_ids);
  for (int i = 0; i < params.n; ++i) r.seqs.push_back({i, reply, 0, "", false});
  {
    std::lock_guard lock(mu_);
    if (requests_.count(request_id)) throw InvalidArgument("duplicate request id " + request_id);
    prompt_total_ += static_cast<int64_t>(r.prompt.size());
    last_params_ = params;
    requests_.emplace(request_id, std::move(r));
    kv_used_ = 0;
    for (auto& [id, q] : requests_) kv_used_ += blocks_for(q);
  }
  ++added_;
  cv_.notify_all();
}

void FakeEngine::abort(const std::string& request_id) {
  std::lock_guard lock(mu_);
  auto it = requests_.find(request_id);
  if (it != requests_.end()) it->second.abort = true;
  cv_.notify_all();
}

void FakeEngine::pause(bool paused) {
  paused_ = paused;
  cv_.notify_all();
}

int64_t FakeEngine::blocks_for(const Req& r) const {
  int64_t blocks = 0;
  for (const auto& s : r.seqs)
    if (!s.done) blocks += (static_cast<int64_t>(r.prompt.size() + s.pos) + 15) / 16;
  return blocks;
}

bool FakeEngine::has_unfinished() const {
  std::lock_guard lock(mu_);
  return !requests_.empty();
}

EngineStats FakeEngine::stats() const {
  std::lock_guard lock(mu_);
  EngineStats s;
  s.backend = "fake";
  s.num_running = paused_ ? 0 : static_cast<int>(requests_.size());
  s.num_waiting = paused_ ? static_cast<int>(requests_.size()) : 0;
  s.kv_blocks_total = 4096;
  s.kv_blocks_used = kv_used_;
  s.kv_usage = static_cast<double>(kv_used_) / 4096.0;
  s.prompt_tokens_total = prompt_total_;
  s.generation_tokens_total = gen_total_;
  s.requests_finished = finished_total_;
  return s;
}

void FakeEngine::loop() {
  while (!quit_) {
    std::vector<std::pair<OutputCallback, RequestOutput>> emits;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] {
        if (quit_) return true;
        for (auto& [id, r] : requests_)
          if (r.abort || !paused_) return true;
        return false;
      });
      if (quit_) break;
      for (auto it = requests_.begin(); it != requests_.end();) {
        Req& r = it->second;
        if (paused_ && !r.abort) {
          ++it;
          continue;
        }
        int unfinished = 0;
        for (auto& s : r.seqs) {
          if (s.done) continue;
          RequestOutput out;
          out.request_id = r.id;
          out.index = s.index;
          out.prompt_tokens = static_cast<int>(r.prompt.size());
          if (r.abort) {
            out.finish = FinishReason::Abort;
            s.done = true;
            ++aborted_;
          } else {
            int32_t id = s.reply[s.pos++];
            ++gen_total_;
            out.token_ids = {id};
            if (r.params.logprobs >= 0) {
              TokenLogprob lp{id, -0.25f, {}};
              for (int k = 0; k < r.params.logprobs; ++k)
                lp.top.emplace_back(k == 0 ? id : (id + k) % tokenizer_->vocab_size(),
                                    -0.25f * static_cast<float>(k + 1));
              out.logprobs.push_back(lp);
            }
            bool eos = s.pos == s.reply.size() && !r.params.ignore_eos;
            std::vector<int32_t> gen(s.reply.begin(), s.reply.begin() + s.pos);
            if (eos) gen.pop_back();  // as the real engine: an EOS id is never text
            std::string full = tokenizer_->decode(gen, r.params.skip_special_tokens);
            full.resize(utf8::complete_prefix_length(full));
            for (const auto& stop : r.params.stop) {
              size_t at = full.find(stop);
              if (at != std::string::npos) {
                full.resize(at);
                out.finish = FinishReason::Stop;
                out.stop_reason = stop;
                break;
              }
            }
            if (full.size() > s.text.size()) out.text_delta = full.substr(s.text.size());
            s.text += out.text_delta;
            if (out.finish == FinishReason::None) {
              if (eos)
                out.finish = FinishReason::Stop;
              else if (r.params.max_tokens > 0 && static_cast<int>(s.pos) >= r.params.max_tokens)
                out.finish = FinishReason::Length;
              else if (s.pos == s.reply.size()) {  // ignore_eos: the reply again
                std::vector<int32_t> again = s.reply;
                s.reply.insert(s.reply.end(), again.begin(), again.end());
              }
            }
            if (out.finish != FinishReason::None) s.done = true;
          }
          out.completion_tokens = static_cast<int>(s.pos);
          if (!s.done)
            ++unfinished;
          else
            ++finished_total_;
          emits.emplace_back(r.callback, std::move(out));
        }
        if (unfinished == 0)
          it = requests_.erase(it);
        else
          ++it;
      }
      kv_used_ = 0;
      for (auto& [id, q] : requests_) kv_used_ += blocks_for(q);
    }
    for (auto& [cb, out] : emits) cb(out);
    if (step_delay_.count() > 0) std::this_thread::sleep_for(step_delay_);
  }
}

}  // namespace pagoda::testing
