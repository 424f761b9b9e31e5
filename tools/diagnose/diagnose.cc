#include "diagnose/diagnose.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

#include "bosh_libvirt_cpi/config/config.h"
#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/host/host.h"
#include "bosh_libvirt_cpi/names/names.h"
#include "bosh_libvirt_cpi/util/ids.h"
#include "bosh_libvirt_cpi/vm/vm_service.h"
#include "bosh_libvirt_cpi/xml/document.h"
#include "diagnose/guest_disk.h"
#include "diagnose/redact.h"
#include "diagnose/text.h"

namespace cpi::diagnose {
namespace {

// How much of the serial console to show: enough for a kernel panic or the agent's last words.
constexpr size_t kConsoleLines = 40;
// Settings and agent.json are parsed whole to be redacted; real ones are a few KiB.
constexpr uint64_t kMaxJsonBytes = 4 * 1024 * 1024;

// What to look for on every filesystem, in report order. Paths are relative to the filesystem's
// root: the root filesystem holds /var/vcap/bosh and /var/log, the ephemeral disk's data
// filesystem (mounted at /var/vcap/data in the guest) holds root_log, which the agent bind-mounts
// over /var/log once it has set the disk up.
struct Wanted {
  const char* what;
  std::vector<std::string> paths;
  bool json;  // parsed, redacted, printed whole
};

const std::vector<Wanted>& WantedFiles() {
  static const std::vector<Wanted> kWanted = {
      {"BOSH agent log", {"/var/vcap/bosh/log/current"}, false},
      {"agent settings", {"/var/vcap/bosh/settings.json"}, true},
      {"agent configuration", {"/var/vcap/bosh/agent.json"}, true},
      {"syslog", {"/var/log/syslog", "/root_log/syslog"}, false},
  };
  return kWanted;
}

struct Found {
  std::string device;
  std::string drive;
  std::string path;
  FileTail tail;
};

std::string StateName(virt::DomainState state) {
  switch (state) {
    case virt::DomainState::kRunning:
      return "running";
    case virt::DomainState::kPaused:
      return "paused";
    case virt::DomainState::kShutoff:
      return "shut off";
    case virt::DomainState::kCrashed:
      return "crashed";
    case virt::DomainState::kOther:
      break;
  }
  return "other (neither running, paused, shut off nor crashed)";
}

config::Config LoadConfig(const Options& options) {
  try {
    if (!options.config_path)
      return config::Load(std::nullopt, "(built-in defaults)", std::nullopt);
    return config::Load(config::ReadFile(*options.config_path), Quote(*options.config_path),
                        std::nullopt);
  } catch (...) {
    RethrowWithStep("Loading the configuration", ErrorType::kCpiError);
  }
}

// The last lines of the console log, or why they cannot be shown.
void ReportConsole(const std::string& path, bool local, uint64_t max_bytes, std::ostream& out) {
  out << "\n== serial console log ==\n";
  if (path.empty()) {
    out << "the domain has no <serial><log file=...> (not created by this CPI?)\n";
    return;
  }
  if (!local) {
    out << path << " is on the hypervisor (the libvirt URI is remote); read it there\n";
    return;
  }
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) {
    out << "cannot read " << path << ": " << std::strerror(errno)
        << " (no output from the guest yet, or not running as root?)\n";
    return;
  }
  auto size = static_cast<uint64_t>(file.tellg());
  uint64_t offset = size > max_bytes ? size - max_bytes : 0;
  std::string chunk(size - offset, '\0');
  file.seekg(static_cast<std::streamoff>(offset));
  file.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  chunk.resize(static_cast<size_t>(file.gcount()));
  std::string_view text = offset > 0 ? FromFirstFullLine(chunk) : std::string_view(chunk);
  std::string lines = LastLines(text, kConsoleLines);
  out << path << " (" << FormatBytes(size) << "), last " << kConsoleLines << " lines:\n";
  if (lines.empty()) {
    out << "(empty: the guest has printed nothing on its serial console)\n";
    return;
  }
  out << Printable(RedactUrlPassword(lines));
  if (lines.back() != '\n') out << '\n';
}

struct VolumeFile {
  std::string name;
  std::string path;
  std::string format;
};

std::optional<VolumeFile> FindVolumeFile(host::Host& host, const std::string& name) {
  try {
    std::unique_ptr<virt::Volume> vol = host.FindVolume(name);
    if (!vol) return std::nullopt;
    xml::Document doc = xml::Document::Parse(vol->Xml(), name);
    std::string format = doc.String("/volume/target/format/@type");
    return VolumeFile{name, vol->Path(), format.empty() ? "raw" : format};
  } catch (...) {
    host::RethrowWithStep("Finding volume " + Quote(name) + " in storage pool " +
                          Quote(host.pool_name()));
  }
}

void PrintFile(const Wanted& wanted, const std::optional<Found>& found, uint64_t max_bytes,
               std::ostream& out) {
  out << "\n== " << wanted.what << " (" << wanted.paths.front() << ") ==\n";
  if (!found) {
    out << "not found on any filesystem";
    if (wanted.paths.size() > 1) {
      out << " (looked for";
      for (const std::string& p : wanted.paths) out << ' ' << p;
      out << ')';
    }
    out << '\n';
    return;
  }
  const FileTail& tail = found->tail;
  out << "found " << found->path << " on " << found->device;
  if (!found->drive.empty()) out << " (" << found->drive << ")";
  out << ", " << FormatBytes(tail.size);
  if (wanted.json) {
    if (tail.truncated()) {
      out << "; larger than " << FormatBytes(kMaxJsonBytes) << ", not shown\n";
      return;
    }
    std::optional<std::string> redacted = RedactSettingsText(tail.data);
    if (!redacted) {
      // Printing it raw could leak secrets; an operator can look on the hypervisor.
      out << "; not valid JSON, not shown (it may hold secrets)\n";
      return;
    }
    out << "; secrets redacted";
    std::string text = *redacted;
    bool cut = text.size() > max_bytes;
    if (cut) {
      text.resize(max_bytes);
      out << "; first " << FormatBytes(max_bytes) << " shown";
    }
    out << ":\n" << Printable(text) << '\n';
    if (cut) out << "... (cut; --max-bytes shows more)\n";
    return;
  }
  std::string_view text = tail.data;
  if (tail.truncated()) {
    text = FromFirstFullLine(text);
    out << "; last " << FormatBytes(text.size()) << " shown";
  }
  out << ":\n";
  if (text.empty()) {
    out << "(empty)\n";
    return;
  }
  out << Printable(RedactUrlPassword(text));
  if (text.back() != '\n') out << '\n';
}

}  // namespace

void Run(const Options& options, std::ostream& out) {
  config::Config config = LoadConfig(options);
  const std::string& cid = options.vm_cid;
  const config::HostConfig& spec = host::HostOf(config, cid);
  const std::string& uri = config::SettingsOf(config, spec).uri;
  const bool local = IsLocalUri(uri);
  host::Host host = host::Host::Open(config, spec);

  std::unique_ptr<virt::Domain> dom;
  try {
    dom = vm::FindVm(host, cid);
  } catch (...) {
    host::RethrowWithStep("Finding VM " + Quote(cid) + " on " + Quote(uri));
  }
  if (!dom) {
    std::string hint = util::IsVmCid(cid) ? "" : " (a VM CID looks like vm-<uuid>)";
    throw Error(ErrorType::kVmNotFound,
                "Finding VM " + Quote(cid) + " on " + Quote(uri) + ": no such domain" + hint);
  }

  std::string state, console_log, title;
  try {
    state = StateName(dom->State());
    xml::Document domain = xml::Document::Parse(dom->Xml(/*inactive=*/false), cid);
    console_log = domain.String("/domain/devices/serial/log/@file");
    title = domain.String("/domain/title");
  } catch (...) {
    host::RethrowWithStep("Reading the domain of VM " + Quote(cid));
  }

  out << "VM " << cid << "\n"
      << "  libvirt:      " << uri << "\n"
      << "  domain state: " << state << "\n";
  // create_vm titles a VM with its CID until set_vm_metadata names it.
  if (!title.empty() && title != cid) out << "  title:        " << Printable(title) << "\n";
  out << "  console log:  " << (console_log.empty() ? "(none)" : console_log) << "\n";
  out.flush();

  ReportConsole(console_log, local, options.max_bytes, out);

  out << "\n== disks ==\n";
  std::optional<VolumeFile> root = FindVolumeFile(host, names::RootVolume(cid));
  if (!root) {
    throw CloudError("Finding the root disk of VM " + Quote(cid) + ": no volume " +
                     Quote(names::RootVolume(cid)) + " in storage pool " + Quote(host.pool_name()));
  }
  std::optional<VolumeFile> ephemeral = FindVolumeFile(host, names::EphemeralVolume(cid));
  std::vector<Drive> drives = {{root->path, root->format, root->name}};
  out << "root:      " << root->name << " " << root->path << " (" << root->format << ")\n";
  if (ephemeral) {
    drives.push_back({ephemeral->path, ephemeral->format, ephemeral->name});
    out << "ephemeral: " << ephemeral->name << " " << ephemeral->path << " (" << ephemeral->format
        << ")\n";
  } else {
    out << "ephemeral: none\n";
  }
  if (!local) {
    out << "\nDisk inspection skipped: the libvirt URI " << Quote(uri)
        << " is remote, and libguestfs must open the disk images as local files. Run "
           "bosh-libvirt-cpi-diagnose on the hypervisor, with a local URI (qemu:///system).\n";
    return;
  }
  if (state == "running" || state == "paused") {
    out << "The VM is " << state
        << ": its disks are read as last written; the guest may not have flushed its newest "
           "writes.\n";
  }

  out << "Launching the libguestfs appliance (read-only, TCG; 15-25 s)...\n";
  out.flush();
  auto started = std::chrono::steady_clock::now();
  GuestDisks disks = [&] {
    try {
      return GuestDisks::Launch(drives);
    } catch (...) {
      RethrowWithStep("Inspecting the disks of VM " + Quote(cid));
    }
  }();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  char took[32];
  std::snprintf(took, sizeof(took), "%.1f", seconds);
  out << "appliance up in " << took << " s\n";

  std::vector<Filesystem> filesystems = disks.ListFilesystems();
  std::sort(filesystems.begin(), filesystems.end(),
            [](const Filesystem& a, const Filesystem& b) { return a.device < b.device; });
  out << "\n== filesystems ==\n";
  if (filesystems.empty()) out << "none found\n";
  std::vector<std::optional<Found>> found(WantedFiles().size());
  for (const Filesystem& fs : filesystems) {
    out << fs.device << "  " << fs.type;
    if (!fs.drive.empty()) out << "  on " << fs.drive;
    if (fs.type == "swap" || fs.type == "unknown") {
      out << "  (not mounted)\n";
      continue;
    }
    if (std::optional<std::string> error = disks.MountReadOnly(fs.device)) {
      out << "  (cannot mount read-only: " << Printable(*error) << ")\n";
      continue;
    }
    std::vector<std::string> here;
    for (size_t i = 0; i < WantedFiles().size(); ++i) {
      if (found[i]) continue;
      const Wanted& wanted = WantedFiles()[i];
      for (const std::string& path : wanted.paths) {
        if (!disks.IsFile(path)) continue;
        try {
          found[i] = Found{fs.device, fs.drive, path,
                           disks.Tail(path, wanted.json ? kMaxJsonBytes : options.max_bytes)};
        } catch (...) {
          RethrowWithStep("Reading " + path + " on " + fs.device + " of VM " + Quote(cid));
        }
        here.push_back(path);
        break;
      }
    }
    out << "  (mounted read-only; ";
    if (here.empty()) {
      out << "none of the files below";
    } else {
      for (size_t i = 0; i < here.size(); ++i) out << (i ? ", " : "") << here[i];
    }
    out << ")\n";
  }

  size_t count = 0;
  std::string missing;
  for (size_t i = 0; i < WantedFiles().size(); ++i) {
    PrintFile(WantedFiles()[i], found[i], options.max_bytes, out);
    if (found[i]) {
      ++count;
    } else {
      missing += (missing.empty() ? "" : ", ") + WantedFiles()[i].paths.front();
    }
  }
  out << "\n== summary ==\nfound " << count << " of " << WantedFiles().size() << " files";
  if (!missing.empty()) out << "; not found: " << missing;
  out << "\n";
}

}  // namespace cpi::diagnose
