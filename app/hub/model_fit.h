#pragma once
// What a hub model needs before anything large is downloaded: its config.json (a few KiB) and
// the sizes in the file listing.
#include <cstdint>
#include <string>
#include <vector>

#include "app/hub/hub_client.h"
#include "engine/model/model_config.h"

namespace pagoda::hub {

struct ModelFootprint {
  ModelConfig config;
  int64_t num_parameters = 0;
  size_t kv_bytes_per_token = 0;  // at the model's dtype (all layers, K and V)
  int64_t weight_bytes = 0;       // sum of *.safetensors in the listing (0: unknown)
  int64_t estimated_weight_bytes = 0;  // from config.json alone (estimate_weight_bytes)
  int64_t download_bytes = 0;     // every file in the listing
};

// Bytes of the weights as config.json describes them: embeddings, norms and biases at the
// model's dtype, decoder linears packed as quantization_config says (AWQ/GPTQ: packed integers,
// scales and zeros; FP8: one byte per weight and the block scales) or at the dtype.
int64_t estimate_weight_bytes(const ModelConfig& config);

// The repos of one model in its published precisions, side by side: the base id and the
// ModelScope/Hugging Face naming of its quantized siblings ("<base>-AWQ", "-GPTQ-Int4",
// "-GPTQ-Int8", "-FP8"), whichever of them model_id is. Some may not exist on a given hub.
std::vector<std::string> quantized_variant_ids(const std::string& model_id);

// Throws HubError (network) or pagoda::Error (unsupported or malformed config.json).
ModelFootprint fetch_footprint(const HubClient& client, const std::string& model_id,
                               const std::string& revision = "");

}  // namespace pagoda::hub
