#pragma once
// Errors that reach users (bad model folder, bad template, bad request) are pagoda::Error with a
// message that names the file, tensor or template line. Invariants use assert.
#include <stdexcept>
#include <string>

namespace pagoda {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Input that the caller (a user or an HTTP client) got wrong; the server maps it to 400.
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

}  // namespace pagoda
