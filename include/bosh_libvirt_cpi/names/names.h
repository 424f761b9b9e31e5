#pragma once

#include <optional>
#include <string>
#include <string_view>

// Every name the CPI gives a libvirt object, made and parsed in one place. A VM's domain is
// named by its CID (vm-<uuid>); the volumes of the storage pool are:
//   sc-<uuid>                a stemcell's base image
//   sc-<uuid>-props          its cloud_properties (create_stemcell)
//   vm-<uuid>-root           a VM's root disk: a qcow2 overlay on the stemcell
//   vm-<uuid>-ephemeral      its ephemeral disk
//   vm-<uuid>-config         its config drive, and -config-alt, the drive's second volume
//   disk-<15 hex>            a persistent disk, and -meta and -meta-alt, the two slots of its
//                            metadata (set_disk_metadata, disk/disk_metadata.h), and -creating,
//                            create_disk's mark while it has not answered
//   snap-<uuid>              a snapshot, and -meta, its record (snapshot_disk)
// CIDs themselves are made and checked by util/ids.h.
namespace cpi::names {

std::string RootVolume(std::string_view vm_cid);
std::string EphemeralVolume(std::string_view vm_cid);
std::string ConfigVolume(std::string_view vm_cid);
// The config drive lives in one of two volumes, alternately: a media change needs a new source
// path, and the guest must never see a file rewritten under its CD-ROM.
std::string AlternateConfigVolume(std::string_view vm_cid);
std::string StemcellPropertiesVolume(std::string_view stemcell_cid);
// The sidecar of a persistent disk or a snapshot (for a disk: the first of its metadata's two
// slots).
std::string MetadataVolume(std::string_view cid);
// The second slot of a disk's metadata.
std::string AlternateMetadataVolume(std::string_view disk_cid);
// An empty volume create_disk makes before the disk and removes as its last step: a disk beside
// its mark is one whose CID never reached BOSH (docs/ARCHITECTURE.md §8).
std::string CreatingMarkVolume(std::string_view disk_cid);

// A volume name split into the CID it belongs to and what follows the CID ("-root", "-props",
// "" for a stemcell's, disk's or snapshot's own volume).
struct VolumeName {
  enum Kind { kVm, kStemcell, kDisk, kSnapshot } kind;
  std::string cid;
  std::string suffix;
};

// nullopt for a name the CPI never gives a volume.
std::optional<VolumeName> ParseVolumeName(std::string_view name);

}  // namespace cpi::names
