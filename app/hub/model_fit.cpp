#include "app/hub/model_fit.h"

namespace pagoda::hub {

ModelFootprint fetch_footprint(const HubClient& client, const std::string& model_id,
                               const std::string& revision) {
  ModelFootprint fp;
  std::string text = client.fetch_text(model_id, revision, "config.json", 4u << 20);
  try {
    fp.config = ModelConfig::from_json_text(text);
  } catch (const Error& e) {
    throw Error(model_id + " (from the hub): " + e.what());
  }
  fp.num_parameters = fp.config.num_parameters();
  fp.kv_bytes_per_token = fp.config.kv_bytes_per_token(dtype_size(fp.config.dtype));
  for (const RepoFile& f : client.list_files(model_id, revision)) {
    int64_t size = std::max<int64_t>(f.size, 0);
    fp.download_bytes += size;
    if (f.path.size() > 12 && f.path.ends_with(".safetensors")) fp.weight_bytes += size;
  }
  return fp;
}

}  // namespace pagoda::hub
