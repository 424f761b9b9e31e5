// bosh-libvirt-cpi-diagnose: an operator's look inside a VM that does not answer
// (docs/ARCHITECTURE.md §2). The report goes to stdout; errors are one line on stderr. Exit 0 when
// the inspection ran, 1 when it could not, 2 on bad usage.
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "bosh_libvirt_cpi/log/log.h"
#include "diagnose/diagnose.h"

namespace {

constexpr const char* kUsage =
    "Usage: bosh-libvirt-cpi-diagnose [--config FILE] [--max-bytes N] VM_CID\n"
    "\n"
    "Shows why a VM's BOSH agent does not answer (\"Timed out pinging agent\"): the domain's\n"
    "state, the last lines of its serial console log, then, read-only from the VM's root and\n"
    "ephemeral disks, the agent log (/var/vcap/bosh/log/current), the agent settings\n"
    "(/var/vcap/bosh/settings.json, with env and every password, key, secret, token and\n"
    "certificate replaced by <redacted>), /var/vcap/bosh/agent.json and syslog.\n"
    "\n"
    "The disks are read through libguestfs, which boots a small appliance (15-25 s under TCG);\n"
    "that only works on the hypervisor itself (libvirt URI qemu:///system or qemu:///session).\n"
    "Run it as root. A running VM is not disturbed.\n"
    "\n"
    "Options:\n"
    "  --config FILE   the CPI configuration (JSON); without it the CPI's built-in defaults\n"
    "  --max-bytes N   print at most the last N bytes of each log file (default 65536)\n"
    "  --help          show this text\n";

int Usage(const std::string& problem) {
  std::cerr << "bosh-libvirt-cpi-diagnose: " << problem << "\n\n" << kUsage;
  return 2;
}

bool ParseSize(std::string_view text, uint64_t& out) {
  if (text.empty() || text.size() > 12) return false;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  out = value;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  cpi::diagnose::Options options;
  bool have_cid = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (arg == "--config" || arg == "--max-bytes") {
      if (i + 1 >= argc) return Usage(std::string(arg) + " needs a value");
      std::string_view value = argv[++i];
      if (arg == "--config") {
        options.config_path = std::string(value);
      } else if (!ParseSize(value, options.max_bytes) || options.max_bytes == 0 ||
                 options.max_bytes > cpi::diagnose::kMaxMaxBytes) {
        return Usage("--max-bytes must be a number from 1 to " +
                     std::to_string(cpi::diagnose::kMaxMaxBytes));
      }
    } else if (!arg.empty() && arg[0] == '-') {
      return Usage("unknown option '" + std::string(arg) + "'");
    } else if (have_cid) {
      return Usage("only one VM_CID, please");
    } else {
      options.vm_cid = std::string(arg);
      have_cid = true;
    }
  }
  if (!have_cid) return Usage("missing VM_CID");

  // Library code logs through spdlog: to stderr, and only warnings unless asked for more.
  cpi::log::Init("-", "diagnose");
  if (std::getenv("BOSH_LIBVIRT_CPI_LOG_LEVEL") == nullptr) spdlog::set_level(spdlog::level::warn);

  try {
    cpi::diagnose::Run(options, std::cout);
  } catch (const std::exception& e) {
    std::cout.flush();
    std::cerr << "bosh-libvirt-cpi-diagnose: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
