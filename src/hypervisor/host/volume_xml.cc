#include "bosh_libvirt_cpi/host/volume_xml.h"

#include "bosh_libvirt_cpi/xml/document.h"

namespace cpi::host {

VolumeTarget ReadVolumeXml(const std::string& volume_xml, const std::string& what) {
  xml::Document doc = xml::Document::Parse(volume_xml, what);
  VolumeTarget target;
  target.path = doc.String("/volume/target/path");
  std::string format = doc.String("/volume/target/format/@type");
  if (!format.empty()) target.format = format;
  target.backing_path = doc.String("/volume/backingStore/path");
  // The content's last change: every write of an upload or copy in progress moves it.
  target.modified = EpochSeconds(doc.String("/volume/target/timestamps/mtime"));
  std::string physical = doc.String("/volume/physical");
  if (!physical.empty()) target.physical_bytes = std::stoull(physical);
  return target;
}

std::optional<int64_t> EpochSeconds(const std::string& text) {
  if (text.empty()) return std::nullopt;
  try {
    return static_cast<int64_t>(std::stoll(text.substr(0, text.find('.'))));
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace cpi::host
