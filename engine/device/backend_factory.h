#pragma once
// Picks and creates a compute backend: the CPU backend (engine/cpu) or the CUDA backend, a shared
// library (kernels/) opened with dlopen at run time so that no CUDA library is needed to start.
// Above both backends, so that engine/backend (the interface) depends on neither. Call from any
// thread; creating a backend is slow (it may initialize a GPU).
#include <memory>
#include <string>

#include "engine/backend/backend.h"

namespace pagoda {

// Creates "cpu", "cuda" or "auto" (CUDA when a usable GPU is present, else CPU). `why` receives a
// sentence saying which backend was chosen and, when CUDA was not, why (no driver, no GPU,
// library missing).
std::unique_ptr<Backend> create_backend(const std::string& kind, const BackendOptions& options,
                                        std::string* why = nullptr);

}  // namespace pagoda
