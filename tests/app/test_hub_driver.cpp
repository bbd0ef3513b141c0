// test_hub_driver HUB LIBRARY MODEL_ID: downloads like `pagoda-cli download` and prints the
// folder; test_hub_kill kills it with SIGKILL at random points and runs it again.
#include <iostream>

#include "app/hub/resolve.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: test_hub_driver HUB LIBRARY MODEL_ID\n";
    return 2;
  }
  try {
    pagoda::hub::ResolveOptions opt;
    opt.endpoint = pagoda::hub::HubEndpoint::parse(argv[1]);
    opt.library_dir = argv[2];
    std::cout << pagoda::hub::resolve_model(argv[3], opt).string() << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
