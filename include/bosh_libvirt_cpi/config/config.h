#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace cpi::config {

enum class DomainType { kAuto, kKvm, kQemu };

struct Libvirt {
  std::string uri = "qemu:///system";
  std::string storage_pool = "default";
  std::string network = "default";  // for BOSH networks whose cloud_properties name none
  DomainType domain_type = DomainType::kAuto;
  // Folder on the hypervisor where each VM's serial console is logged as <vm-cid>.console.log.
  std::string console_log_dir = "/var/log/libvirt/qemu";
  // Domain machine type; empty lets libvirt choose (pc = i440fx on Debian 12).
  std::string machine_type;
  // How long a call whose connection was lost keeps reconnecting to roll back what it made
  // before it gives up and answers ok_to_retry false (docs/ARCHITECTURE.md §8).
  int rollback_reconnect_seconds = 30;
  // How long connecting to the host, or a libvirt call on it that gets no answer, may take before
  // the call fails retryably (docs/MULTIHOST.md, "Timeouts").
  int timeout_seconds = 30;
};

// One hypervisor of the cloud (docs/MULTIHOST.md): the `libvirt` block, or one entry of `hosts`.
struct HostConfig {
  std::string name;  // "default" for the single `libvirt` block
  // Two letters g..z written into every VM, disk and snapshot CID made on this host; "" for the
  // single `libvirt` block, whose CIDs carry no key (util/ids.h).
  std::string key;
  std::string az;       // the BOSH AZ this host serves ("" when none)
  bool shared = false;  // its pool is the same storage as every other shared host's pool
  Libvirt libvirt;
};

struct Agent {
  std::string mbus;                    // written to the settings' `mbus`
  std::vector<std::string> ntp;        // written to the settings' `ntp`
  nlohmann::json blobstore = nullptr;  // optional settings `blobstore`
};

// The CPI's configuration (README.md, "Configuration"), after the cpi-config context overlay.
struct Config {
  // The `libvirt` block: the single host's settings, or the defaults of every entry of `hosts`.
  Libvirt libvirt;
  // Every host, never empty: the `hosts` entries in order, or one host made of `libvirt`. The
  // first is the default host, which owns every CID without a host key.
  std::vector<HostConfig> hosts;
  bool multi_host = false;  // `hosts` was given
  Agent agent;
  std::string lock_dir = "/var/lock/bosh-libvirt-cpi";
  std::string templates_dir;  // empty: the templates built into the binary
};

// Reads and validates the configuration. `file_text` is the content of the --config file (nullopt
// when none was given: built-in defaults); `context` is the request context (a JSON object; the
// protocol converts it), whose keys other than director_uuid, request_id and vm overlay the file
// (deep merge). Throws cpi::Error
// (CpiError) naming the offending key for unknown keys and wrong types; `source` names the file
// in those messages.
Config Load(std::optional<std::string_view> file_text, std::string_view source,
            const std::optional<nlohmann::json>& context);

// Reads the --config file at `path` and loads it like Load (with the request context), then makes
// the local file parameters of `libvirt.uri` that are relative paths relative to the file's folder
// (ResolveUriFiles): the BOSH job renders its credentials beside cpi.json and cannot know at render
// time where the job is installed (README.md, "Reaching libvirtd from a Director").
Config LoadFile(const std::string& path, const std::optional<nlohmann::json>& context);

// The libvirt URI with each relative value of its local file parameters (keyfile, known_hosts,
// pkipath, and command when it names a path with a '/') prefixed by `base_dir` + '/',
// percent-encoded; absolute values (starting with '/' or %2F), bare command names (found on PATH by
// libvirt) and every other part of the URI are unchanged. Parameter names compare
// case-insensitively, as libvirt compares them.
std::string ResolveUriFiles(std::string_view uri, std::string_view base_dir);

// Validates an already merged JSON document. Throws like Load.
Config FromJson(const nlohmann::json& document, std::string_view source);

// Reads a whole file into a string. Throws CpiError naming the path and the OS error.
std::string ReadFile(const std::string& path);

std::string_view ToString(DomainType type);

// The key a host gets when its entry sets none: two letters g..z from the FNV-1a hash of `name`.
std::string DeriveHostKey(std::string_view name);

// The host with key `key` (the first host for "", the key of a hostless CID); nullptr when no
// configured host has that key.
const HostConfig* HostWithKey(const Config& config, std::string_view key);
// The first host; for a Config built in code without hosts, a host named "default" without key.
const HostConfig& DefaultHost(const Config& config);

// Every host in config order (DefaultHost alone for a Config built in code without hosts).
std::vector<const HostConfig*> AllHosts(const Config& config);

// The libvirt settings of `host`: its own in a multi-host config; the `libvirt` block otherwise
// (the single host's settings live there; hosts.front() is a copy made by Load).
inline const Libvirt& SettingsOf(const Config& config, const HostConfig& host) {
  return config.multi_host ? host.libvirt : config.libvirt;
}

// nullptr when no host has that name.
const HostConfig* HostNamed(const Config& config, std::string_view name);

}  // namespace cpi::config
