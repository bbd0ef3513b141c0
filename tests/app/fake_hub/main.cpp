// pagoda-fake-hub: serve a folder of model folders on loopback with the ModelScope API (and the
// Hugging Face shapes), to try Pagoda offline. See docs/hub.md.
#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>

#include "tests/app/fake_hub/fake_hub.h"

int main(int argc, char** argv) {
  CLI::App app{"Fake model hub on 127.0.0.1 for tests and offline use"};
  std::string root, owner = "pagoda";
  int port = 8765;
  pagoda::test::FakeHubFaults faults;
  app.add_option("--root", root, "Folder of model folders")
      ->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("--port", port, "Port (0: any free one)");
  app.add_option("--owner", owner, "Owner of the models directly under --root");
  app.add_option("--throttle", faults.bytes_per_second,
                 "Limit file downloads to this many bytes/s");
  app.add_flag("--redirect", faults.redirect,
               "Redirect file downloads to a signed URL on the CDN listener (like LFS)");
  app.add_option("--redirect-min-bytes", faults.redirect_min_bytes,
                 "Only files of at least this size redirect (default: every file)");
  app.add_option("--require-token", faults.require_token, "Require this bearer token");
  CLI11_PARSE(app, argc, argv);
  try {
    // Block the signals before the server threads start, so that sigwait gets them.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    pagoda::test::FakeHub hub(root, owner);
    faults.redirect_to_cdn = faults.redirect;
    hub.set_faults(faults);
    int bound = hub.start(port);
    std::cout << "fake hub on http://127.0.0.1:" << bound << " (CDN " << hub.cdn_url()
              << ") serving:";
    for (auto& id : hub.model_ids()) std::cout << " " << id;
    std::cout << std::endl;
    int sig = 0;
    sigwait(&set, &sig);
    hub.stop();
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
