#pragma once

#include <cstdint>
#include <optional>
#include <string>

// What a storage volume's XML (as libvirt reports it) says: the one reader of a volume's path,
// format, backing file and last change, for the disk and stemcell services and the cleanup
// command. Pure, like host/domain_xml.h.
namespace cpi::host {

struct VolumeTarget {
  std::string path;                 // <target><path>
  std::string format = "raw";       // <target><format type>; raw when libvirt names none
  std::string backing_path;         // <backingStore><path>; empty without a backing file
  std::optional<int64_t> modified;  // <target><timestamps><mtime>, when the pool reports it
  uint64_t physical_bytes = 0;      // <physical>: the file's size; 0 when libvirt does not say
};

// Parses a volume's XML; `what` names the volume in the error thrown (cpi::Error) when the
// text is not XML.
VolumeTarget ReadVolumeXml(const std::string& volume_xml, const std::string& what);

// What a service needs of one of its volumes: where it is, its format and the size the guest
// sees (FindDisk, DescribeStemcell).
struct VolumeShape {
  std::string path;
  std::string format;
  uint64_t capacity = 0;
};

// Reads the volume's XML and info; `what` names it in errors. Throws like ReadVolumeXml and
// virt::Volume::Info.
template <typename Volume>
VolumeShape DescribeVolume(const Volume& vol, const std::string& what) {
  VolumeTarget target = ReadVolumeXml(vol.Xml(), what);
  return VolumeShape{std::move(target.path), std::move(target.format), vol.Info().capacity};
}

// Seconds since the epoch of a libvirt timestamp such as "1733000000.123456789" (volume
// timestamps, the create_vm marker's `since`); nullopt when empty or not a number.
std::optional<int64_t> EpochSeconds(const std::string& text);

}  // namespace cpi::host
