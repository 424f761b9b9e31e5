// bosh-libvirt-cpi: one CPI call per process. Reads one JSON request from stdin, writes one JSON
// response to stdout, logs to stderr, exits 0 whenever a response was written.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "bosh_libvirt_cpi/rpc/dispatcher.h"
#include "bosh_libvirt_cpi/rpc/request.h"
#include "bosh_libvirt_cpi/version.h"

namespace {

constexpr const char* kUsage =
    "Usage: bosh-libvirt-cpi [--config FILE] < request.json > response.json\n"
    "\n"
    "A BOSH Cloud Provider Interface for libvirt/KVM. Reads one CPI request (JSON) on standard\n"
    "input, performs it, and writes one JSON response on standard output; logs go to standard\n"
    "error. Without --config the built-in defaults are used (qemu:///system, storage pool\n"
    "'default', network 'default').\n"
    "\n"
    "Options:\n"
    "  --config FILE   the CPI configuration (JSON); also accepted as the only argument\n"
    "  --help          show this text\n"
    "  --version       show the version\n";

// Reads stdin to EOF. Keeps at most kMaxRequestBytes + 1 bytes (enough to tell "too large") but
// always drains the rest, so the caller never blocks writing.
bool ReadAll(std::string& out) {
  char buf[65536];
  for (;;) {
    ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
    if (n == 0) return true;
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    size_t room =
        cpi::rpc::kMaxRequestBytes + 1 - std::min(out.size(), cpi::rpc::kMaxRequestBytes + 1);
    out.append(buf, std::min(room, static_cast<size_t>(n)));
  }
}

bool WriteAll(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(STDOUT_FILENO, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  cpi::rpc::Options options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--version") {
      std::printf("bosh-libvirt-cpi %s\n", cpi::kVersion);
      return 0;
    }
    if (arg == "--config" && i + 1 < argc) {
      options.config_path = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      options.config_path = std::string(arg.substr(9));
    } else if (!arg.empty() && arg[0] != '-' && !options.config_path) {
      options.config_path = std::string(arg);  // the `bin/cpi <config>` wrapper convention
    } else {
      std::fprintf(stderr, "bosh-libvirt-cpi: unknown argument '%s'\n%s", argv[i], kUsage);
      return 2;
    }
  }

  std::string input;
  if (!ReadAll(input)) {
    std::fprintf(stderr, "bosh-libvirt-cpi: reading standard input: %s\n", std::strerror(errno));
    // Still answer: the caller gets a CpiError for the empty request.
    input.clear();
  }
  std::string response = cpi::rpc::Handle(input, options);
  response.push_back('\n');
  if (!WriteAll(response)) {
    std::fprintf(stderr, "bosh-libvirt-cpi: writing the response: %s\n", std::strerror(errno));
    return 1;
  }
  return 0;
}
