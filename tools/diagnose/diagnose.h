#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

// `bosh-libvirt-cpi-diagnose`: what an operator needs when `bosh create-env` says "Timed out
// pinging agent" (docs/ARCHITECTURE.md §2). Reports a VM's domain state and serial console, then
// reads the BOSH agent's log, its rendered settings (secrets redacted), its configuration and
// syslog out of the VM's disks, read-only, through libguestfs.
namespace cpi::diagnose {

inline constexpr uint64_t kDefaultMaxBytes = 64 * 1024;
// Bounds --max-bytes: everything is held in memory before it is printed.
inline constexpr uint64_t kMaxMaxBytes = 64 * 1024 * 1024;

struct Options {
  std::optional<std::string> config_path;  // nullopt: the CPI's built-in defaults
  std::string vm_cid;
  uint64_t max_bytes = kDefaultMaxBytes;  // per file printed from the guest disks
};

// Runs the inspection and writes the report to `out` as it goes. Returns normally when the
// inspection ran, whatever it found (also when the disk inspection was skipped because the libvirt
// URI is remote). Throws cpi::Error with a one-line message naming the step and the object when it
// could not run: configuration, connection, no such VM, no root volume, libguestfs failures.
void Run(const Options& options, std::ostream& out);

}  // namespace cpi::diagnose
