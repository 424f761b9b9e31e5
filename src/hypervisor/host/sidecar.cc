#include "bosh_libvirt_cpi/host/sidecar.h"

#include <algorithm>

#include "bosh_libvirt_cpi/errors.h"

namespace cpi::host {

std::optional<std::string> ReadSidecarBytes(Host& host, const std::string& name,
                                            uint64_t max_bytes) {
  std::unique_ptr<virt::Volume> vol = host.FindVolume(name);
  if (!vol) return std::nullopt;
  std::string text = vol->Download(max_bytes);
  text.erase(std::find(text.begin(), text.end(), '\0'), text.end());
  return text;
}

std::optional<nlohmann::json> ReadSidecarJson(Host& host, const std::string& name,
                                              uint64_t max_bytes, const std::string& holding) {
  std::optional<std::string> text = ReadSidecarBytes(host, name, max_bytes);
  if (!text) return std::nullopt;
  try {
    return nlohmann::json::parse(*text);
  } catch (const nlohmann::json::exception& e) {
    throw CloudError("volume " + Quote(name) + " does not hold " + holding + ": " + e.what());
  }
}

}  // namespace cpi::host
