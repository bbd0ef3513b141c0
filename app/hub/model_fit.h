#pragma once
// What a hub model needs before anything large is downloaded: its config.json (a few KiB) and
// the sizes in the file listing.
#include <cstdint>
#include <string>

#include "app/hub/hub_client.h"
#include "engine/model/model_config.h"

namespace pagoda::hub {

struct ModelFootprint {
  ModelConfig config;
  int64_t num_parameters = 0;
  size_t kv_bytes_per_token = 0;  // at the model's dtype (all layers, K and V)
  int64_t weight_bytes = 0;       // sum of *.safetensors in the listing (0: unknown)
  int64_t download_bytes = 0;     // every file in the listing
};

// Throws HubError (network) or pagoda::Error (unsupported or malformed config.json).
ModelFootprint fetch_footprint(const HubClient& client, const std::string& model_id,
                               const std::string& revision = "");

}  // namespace pagoda::hub
