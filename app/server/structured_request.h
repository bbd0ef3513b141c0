#pragma once
// The structured-output fields of a generation request: OpenAI's response_format
// ({"type": "text" | "json_object" | "json_schema", "json_schema": {"name", "schema", "strict"}})
// and vLLM's guided_json / guided_regex / guided_choice. The grammar is compiled here (and
// cached), so an unsupported schema keyword or a bad pattern is a 400 naming the field.
// Threading: plain functions (the grammar cache is thread-safe).
#include "engine/core/sampling_params.h"
#include "engine/util/json.h"

namespace pagoda::server {

// Sets s.structured_output from the body; throws ApiError 400 with `param` on a bad value.
void parse_structured_output(const Json& body, SamplingRequest& s);

// Json sorts object keys, but a schema's property order is the order the output is written in:
// re-reads a json_schema constraint from the raw body text with its keys in order, then compiles
// it (a refusal is a 400 naming the field). Call after parse_structured_output.
void keep_schema_order(const std::string& raw_body, SamplingParams& params);

}  // namespace pagoda::server
