# Structured output through the HTTP server: response_format json_schema / json_object and
# vLLM's guided_* fields on a real engine (CPU), streamed and not, and the 400s with `param`.
if(TARGET pagoda_server_testing)
  pagoda_add_server_test(test_server_structured server_structured)
endif()
