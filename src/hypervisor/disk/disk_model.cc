#include "bosh_libvirt_cpi/disk/disk_model.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <set>

#include "bosh_libvirt_cpi/agent/settings.h"
#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/util/ids.h"
#include "bosh_libvirt_cpi/xml/document.h"

namespace cpi::disk {
namespace {

// "vdaa" -> 26 (libvirt's virDiskNameToIndex for the part after "vd"); nullopt for other names.
std::optional<size_t> VirtioTargetIndex(const std::string& target) {
  if (target.size() < 3 || target.compare(0, 2, "vd") != 0) return std::nullopt;
  size_t index = 0;
  for (size_t i = 2; i < target.size(); ++i) {
    char c = target[i];
    if (c < 'a' || c > 'z') return std::nullopt;
    index = (i == 2 ? 0 : (index + 1) * 26) + static_cast<size_t>(c - 'a');
  }
  return index;
}

}  // namespace

DiskProperties ParseDiskProperties(const nlohmann::json& cloud_properties) {
  DiskProperties props;
  if (cloud_properties.is_null()) return props;
  if (!cloud_properties.is_object()) throw CpiError("cloud_properties must be an object");
  auto it = cloud_properties.find("format");
  if (it == cloud_properties.end() || it->is_null()) return props;
  if (!it->is_string()) {
    throw CpiError("cloud_properties.format must be a string (\"qcow2\" or \"raw\"), not " +
                   std::string(it->type_name()));
  }
  std::string format = it->get<std::string>();
  if (format != "qcow2" && format != "raw") {
    throw CpiError("cloud_properties.format " + Quote(format) +
                   " is not supported (use \"qcow2\" or \"raw\")");
  }
  props.format = format;
  return props;
}

bool DirectorPassesDiskHint(int request_api_version, std::optional<int64_t> stemcell_api_version) {
  return request_api_version >= 2 && stemcell_api_version.value_or(2) >= 2;
}

uint64_t DiskSizeBytes(int64_t size_mib) {
  if (size_mib < 1 || size_mib > kMaxDiskMib) {
    throw CpiError("disk size " + std::to_string(size_mib) + " MiB is out of range (1 to " +
                   std::to_string(kMaxDiskMib) + " MiB)");
  }
  return static_cast<uint64_t>(size_mib) * kMiB;
}

DiskProperties CheckDiskRequest(int64_t size_mib, const nlohmann::json& cloud_properties,
                                const std::string& step) {
  try {
    DiskProperties props = ParseDiskProperties(cloud_properties);
    DiskSizeBytes(size_mib);
    return props;
  } catch (...) {
    RethrowWithStep(step, ErrorType::kCpiError);
  }
}

nlohmann::json AttachHint(const std::string& disk_cid) {
  return {{"path", agent::VirtioDiskPath(disk_cid)}};
}

std::string UserAlias(const std::string& disk_cid) { return "ua-" + disk_cid; }

std::vector<DiskDeviceEntry> ReadDiskDevices(const std::string& domain_xml,
                                             const std::string& what) {
  xml::Document doc = xml::Document::Parse(domain_xml, what);
  std::vector<DiskDeviceEntry> out;
  for (std::string element : doc.ElementsXml("/domain/devices/disk")) {
    xml::Document disk = xml::Document::Parse(element, what);
    DiskDeviceEntry d;
    d.device = disk.String("/disk/@device");
    if (d.device.empty()) d.device = "disk";
    d.target = disk.String("/disk/target/@dev");
    d.bus = disk.String("/disk/target/@bus");
    d.serial = disk.String("/disk/serial");
    d.alias = disk.String("/disk/alias/@name");
    d.path = disk.String("/disk/source/@file");
    if (d.path.empty()) d.path = disk.String("/disk/source/@dev");
    d.pool = disk.String("/disk/source/@pool");
    d.volume = disk.String("/disk/source/@volume");
    d.format = disk.String("/disk/driver/@type");
    d.xml = std::move(element);
    out.push_back(std::move(d));
  }
  return out;
}

bool Matches(const DiskDeviceEntry& device, const DiskRef& disk) {
  if (device.device != "disk") return false;
  if (!disk.path.empty() && device.path == disk.path) return true;
  if (!disk.volume.empty() && device.volume == disk.volume && device.pool == disk.pool) {
    return true;
  }
  return !disk.cid.empty() && (device.serial == disk.cid || device.alias == UserAlias(disk.cid));
}

std::optional<DiskDeviceEntry> FindDevice(const std::vector<DiskDeviceEntry>& devices,
                                          const DiskRef& disk) {
  for (const DiskDeviceEntry& d : devices) {
    if (Matches(d, disk)) return d;
  }
  return std::nullopt;
}

std::optional<DiskDeviceEntry> FindConfigDrive(const std::vector<DiskDeviceEntry>& devices) {
  for (const DiskDeviceEntry& d : devices) {
    if (d.device == "cdrom" && d.alias == "ua-config-drive") return d;
  }
  return std::nullopt;
}

std::string VirtioTargetName(size_t index) {
  std::string letters;
  for (size_t i = index + 1; i > 0; i = (i - 1) / 26) {
    letters.insert(letters.begin(), static_cast<char>('a' + (i - 1) % 26));
  }
  return "vd" + letters;
}

std::string PickTarget(const std::vector<std::vector<DiskDeviceEntry>>& definitions) {
  std::set<size_t> used;
  for (const auto& devices : definitions) {
    for (const DiskDeviceEntry& d : devices) {
      if (std::optional<size_t> i = VirtioTargetIndex(d.target)) used.insert(*i);
    }
  }
  size_t index = 2;  // vdc
  while (used.count(index) != 0) ++index;
  return VirtioTargetName(index);
}

std::vector<std::string> PersistentDiskCids(const std::vector<DiskDeviceEntry>& devices) {
  std::vector<std::string> out;
  for (const DiskDeviceEntry& d : devices) {
    if (d.device == "disk" && util::IsDiskCid(d.serial)) out.push_back(d.serial);
  }
  return out;
}

std::vector<std::string> MergePersistentDiskCids(
    const std::vector<std::vector<DiskDeviceEntry>>& definitions) {
  // (target order, cid): targets of one disk may differ between definitions; the first wins.
  std::vector<std::pair<size_t, std::string>> found;
  std::set<std::string> seen;
  for (const auto& devices : definitions) {
    for (const DiskDeviceEntry& d : devices) {
      if (d.device != "disk" || !util::IsDiskCid(d.serial) || !seen.insert(d.serial).second) {
        continue;
      }
      found.emplace_back(VirtioTargetIndex(d.target).value_or(SIZE_MAX), d.serial);
    }
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (auto& [index, cid] : found) out.push_back(std::move(cid));
  return out;
}

std::string NowUtc() {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool SetPersistentDiskInSettings(nlohmann::json& settings, const std::string& disk_cid,
                                 const std::optional<nlohmann::json>& hint) {
  if (!settings.is_object()) throw CloudError("the agent settings are not a JSON object");
  nlohmann::json& disks = settings["disks"];
  if (disks.is_null()) disks = nlohmann::json::object();
  if (!disks.is_object()) throw CloudError("the agent settings' disks are not an object");
  nlohmann::json& persistent = disks["persistent"];
  if (persistent.is_null()) persistent = nlohmann::json::object();
  if (!persistent.is_object()) {
    throw CloudError("the agent settings' disks.persistent is not an object");
  }
  if (hint) {
    if (persistent.contains(disk_cid) && persistent[disk_cid] == *hint) return false;
    persistent[disk_cid] = *hint;
    return true;
  }
  return persistent.erase(disk_cid) > 0;
}

}  // namespace cpi::disk
