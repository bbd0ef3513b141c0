#pragma once
// The OpenAI wire protocol as vLLM serves it: parsing and validating request bodies into plain
// structs, and building response / stream-chunk JSON. No HTTP and no engine calls here.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "app/server/chat_tools.h"
#include "engine/chat/chat_template.h"
#include "engine/core/engine.h"
#include "engine/core/sampling_params.h"
#include "engine/util/error.h"
#include "engine/util/json.h"

namespace pagoda::server {

// A request error with its HTTP status and the OpenAI error fields.
class ApiError : public InvalidArgument {
 public:
  ApiError(int status, std::string message, std::string type = "invalid_request_error",
           std::string param = "", std::string code = "")
      : InvalidArgument(message),
        status(status),
        type(std::move(type)),
        param(std::move(param)),
        code(std::move(code)) {}
  int status;
  std::string type, param, code;
};

// {"error":{"message","type","param","code"}}; param/code are null when empty.
std::string error_body(const std::string& message, const std::string& type,
                       const std::string& param = "", const std::string& code = "");

// Parses a request body as a JSON object. Rejects malformed JSON, invalid UTF-8, nesting deeper
// than max_depth and non-object bodies with ApiError 400.
Json parse_body(const std::string& body, int max_depth = 64);

// The parts of a generation request shared by chat and completions, after validation.
struct GenerationRequest {
  std::string model;  // as sent (may be empty)
  bool stream = false;
  bool include_usage = false;
  bool echo = false;           // completions: prepend the prompt
  bool chat_logprobs = false;  // chat: logprobs:true
  bool tokens_as_ids = false;  // vLLM's return_tokens_as_token_ids: logprob tokens "token_id:N"
  SamplingParams params;
  bool max_tokens_given = false;
  // Chat: the template inputs. Completions: the prompts (text, or token ids when given as ids).
  ChatTemplateInputs chat;
  ToolRequest tools;  // chat: tools and tool_choice
  std::vector<std::string> prompt_texts;
  std::vector<std::vector<int32_t>> prompt_ids;
};

// Validates a /v1/chat/completions body; defaults come from the model's generation_config.
GenerationRequest parse_chat_request(const Json& body, const GenerationDefaults& defaults);
// Validates a /v1/completions body (max_tokens defaults to 16, as in vLLM).
GenerationRequest parse_completion_request(const Json& body, const GenerationDefaults& defaults);

// The accumulated result of one choice.
struct ChoiceResult {
  std::string text;
  std::vector<int32_t> token_ids;
  std::vector<TokenLogprob> logprobs;
  FinishReason finish = FinishReason::None;
  std::string stop_reason;
  // Chat: the message as tools / reasoning shaped it (null: {"role","content":text}), and
  // whether finish_reason is "tool_calls".
  Json message;
  bool tool_calls_finish = false;
};

struct Usage {
  int prompt_tokens = 0;
  int completion_tokens = 0;
  int cached_tokens = 0;
  Json to_json() const;
};

// Shared fields of every response of one request.
struct ResponseHeader {
  std::string id;  // chatcmpl-... / cmpl-...
  int64_t created = 0;
  std::string model;
};

std::string random_id(const std::string& prefix);
int64_t unix_time_now();
// "stop" / "length" / "abort" / "error", or null while unfinished.
Json finish_reason_json(FinishReason r);
Json stop_reason_json(const ChoiceResult& c);

// logprobs objects: chat {"content":[...]} and completions {"tokens","token_logprobs",...}.
// tokens_as_ids: each token is named "token_id:N" instead of its text (vLLM's
// return_tokens_as_token_ids), so a client can read the exact ids.
Json chat_logprobs_json(const Tokenizer& tok, const std::vector<TokenLogprob>& lps,
                        bool tokens_as_ids = false);
Json completion_logprobs_json(const Tokenizer& tok, const std::vector<TokenLogprob>& lps,
                              size_t text_offset, bool tokens_as_ids = false);

Json chat_response(const ResponseHeader& h, const std::vector<ChoiceResult>& choices,
                   const Usage& usage, const Tokenizer& tok, bool logprobs,
                   bool tokens_as_ids = false);
Json completion_response(const ResponseHeader& h, const std::vector<ChoiceResult>& choices,
                         const Usage& usage, const Tokenizer& tok, bool logprobs,
                         bool tokens_as_ids = false);

// Stream chunks.
Json chat_chunk(const ResponseHeader& h, Json choices);
Json completion_chunk(const ResponseHeader& h, Json choices);
std::string sse_event(const Json& j);  // "data: {...}\n\n"
inline constexpr const char* kSseDone = "data: [DONE]\n\n";

// /v1/models card.
Json model_card(const std::string& id, int max_model_len, int64_t created);

}  // namespace pagoda::server
