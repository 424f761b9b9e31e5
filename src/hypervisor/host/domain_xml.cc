#include "bosh_libvirt_cpi/host/domain_xml.h"

#include <algorithm>
#include <cctype>

namespace cpi::host {

DiskSources ReadDiskSources(const xml::Document& domain) {
  DiskSources sources;
  sources.paths = domain.Strings(
      "/domain/devices/disk/source/@file | /domain/devices/disk/source/@dev | "
      "/domain/devices/disk//backingStore/source/@file | "
      "/domain/devices/disk//backingStore/source/@dev");
  int disks = static_cast<int>(domain.Number("count(/domain/devices/disk)"));
  for (int i = 1; i <= disks; ++i) {
    std::string source = "/domain/devices/disk[" + std::to_string(i) + "]/source";
    std::string pool = domain.String(source + "/@pool");
    if (!pool.empty())
      sources.pool_volumes.push_back(pool + "/" + domain.String(source + "/@volume"));
  }
  return sources;
}

std::vector<std::string> ReadMacs(const xml::Document& domain) {
  std::vector<std::string> macs = domain.Strings("//interface/mac/@address");
  for (std::string& mac : macs) {
    std::transform(mac.begin(), mac.end(), mac.begin(), ::tolower);
  }
  return macs;
}

}  // namespace cpi::host
