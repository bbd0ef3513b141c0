#pragma once
// The one CUDA / cuBLAS error check of the host code: a failed call becomes a pagoda::Error that
// names the call, which the engine reports on the request. Host only; any thread.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

#include "engine/util/error.h"

namespace pagoda::cuda {

inline void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess)
    throw Error(std::string("CUDA error in ") + what + ": " + cudaGetErrorString(e));
}

inline void check(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS)
    throw Error(std::string("cuBLAS error in ") + what + ": " + cublasGetStatusString(s));
}

}  // namespace pagoda::cuda
