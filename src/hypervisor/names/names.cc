#include "bosh_libvirt_cpi/names/names.h"

#include "bosh_libvirt_cpi/util/ids.h"

namespace cpi::names {
namespace {

constexpr std::string_view kRoot = "-root";
constexpr std::string_view kEphemeral = "-ephemeral";
constexpr std::string_view kConfig = "-config";
constexpr std::string_view kAlternateConfig = "-config-alt";
constexpr std::string_view kProperties = "-props";
constexpr std::string_view kMetadata = "-meta";
constexpr std::string_view kAlternateMetadata = "-meta-alt";
constexpr std::string_view kCreating = "-creating";

constexpr size_t kUuidCid = 3 + 36;      // "vm-" / "sc-" + uuid
constexpr size_t kSnapshotCid = 5 + 36;  // "snap-" + uuid
constexpr size_t kDiskCid = 5 + 15;      // "disk-" + 15 hex, or + host key + 13 hex
constexpr size_t kKeyed = 3;             // "<host key>-" inside a VM or snapshot CID

std::string Join(std::string_view cid, std::string_view suffix) {
  std::string name(cid);
  name += suffix;
  return name;
}

// `name` split after `cid_length` characters, when `is_cid` accepts the first part and the rest
// is one of `suffixes`.
template <size_t N>
std::optional<VolumeName> Split(std::string_view name, size_t cid_length,
                                bool (*is_cid)(std::string_view), VolumeName::Kind kind,
                                const std::string_view (&suffixes)[N]) {
  if (name.size() < cid_length || !is_cid(name.substr(0, cid_length))) return std::nullopt;
  std::string_view suffix = name.substr(cid_length);
  for (std::string_view s : suffixes) {
    if (suffix == s)
      return VolumeName{kind, std::string(name.substr(0, cid_length)), std::string(s)};
  }
  return std::nullopt;
}

}  // namespace

std::string RootVolume(std::string_view vm_cid) { return Join(vm_cid, kRoot); }
std::string EphemeralVolume(std::string_view vm_cid) { return Join(vm_cid, kEphemeral); }
std::string ConfigVolume(std::string_view vm_cid) { return Join(vm_cid, kConfig); }
std::string AlternateConfigVolume(std::string_view vm_cid) {
  return Join(vm_cid, kAlternateConfig);
}
std::string StemcellPropertiesVolume(std::string_view stemcell_cid) {
  return Join(stemcell_cid, kProperties);
}
std::string MetadataVolume(std::string_view cid) { return Join(cid, kMetadata); }
std::string AlternateMetadataVolume(std::string_view disk_cid) {
  return Join(disk_cid, kAlternateMetadata);
}
std::string CreatingMarkVolume(std::string_view disk_cid) { return Join(disk_cid, kCreating); }

std::optional<VolumeName> ParseVolumeName(std::string_view name) {
  static constexpr std::string_view kVmSuffixes[] = {kRoot, kEphemeral, kConfig, kAlternateConfig};
  static constexpr std::string_view kStemcellSuffixes[] = {"", kProperties};
  static constexpr std::string_view kDiskSuffixes[] = {"", kMetadata, kAlternateMetadata,
                                                       kCreating};
  static constexpr std::string_view kSnapshotSuffixes[] = {"", kMetadata};
  if (auto n = Split(name, kUuidCid, util::IsVmCid, VolumeName::kVm, kVmSuffixes)) return n;
  if (auto n = Split(name, kUuidCid + kKeyed, util::IsVmCid, VolumeName::kVm, kVmSuffixes)) {
    return n;
  }
  if (auto n =
          Split(name, kUuidCid, util::IsStemcellCid, VolumeName::kStemcell, kStemcellSuffixes)) {
    return n;
  }
  if (auto n = Split(name, kDiskCid, util::IsDiskCid, VolumeName::kDisk, kDiskSuffixes)) return n;
  if (auto n = Split(name, kSnapshotCid, util::IsSnapshotCid, VolumeName::kSnapshot,
                     kSnapshotSuffixes)) {
    return n;
  }
  return Split(name, kSnapshotCid + kKeyed, util::IsSnapshotCid, VolumeName::kSnapshot,
               kSnapshotSuffixes);
}

}  // namespace cpi::names
