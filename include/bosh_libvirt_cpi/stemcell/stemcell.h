#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/host/host.h"
#include "bosh_libvirt_cpi/stemcell/image.h"
#include "bosh_libvirt_cpi/virt/objects.h"

// Stemcells as volumes of the host's storage pool (docs/ARCHITECTURE.md §4, docs/CONTRACT.md §4.2,
// §4.3):
//   sc-<uuid>        the base image, in root.img's own format (qcow2 or raw)
//   sc-<uuid>-props  a small raw volume holding the stemcell's cloud_properties as JSON
namespace cpi::stemcell {

// Uploads `image` (opened with RootImage::Open) into a new stemcell volume and stores
// `cloud_properties` beside it; returns the new CID "sc-<uuid>". Streams straight from the
// archive into libvirt (no temporary file) and logs progress on stderr. On any failure every
// volume it created is deleted before the error is thrown: cpi::Error with the failed step
// ("reading image archive: ...", "uploading ..."), NoDiskSpace when the pool is full,
// CloudError otherwise (a missing pool included).
// With `cid` given, imports under that CID (the same stemcell on another host).
std::string ImportStemcell(host::Host& host, RootImage& image,
                           const nlohmann::json& cloud_properties, std::string cid = "");

// The XML of a new stemcell volume (templates/volume.xml): `name`, `capacity` bytes, `format`
// ("qcow2" or "raw"). ImportStemcell and the copy to another host (stemcell/hosts.h) use it.
std::string VolumeXml(const std::string& name, uint64_t capacity, std::string_view format,
                      const std::string& templates_dir);

// The stemcell's base volume; nullptr when `cid` is not a stemcell CID of ours or no such
// volume exists. Other failures throw.
std::unique_ptr<virt::Volume> FindStemcell(host::Host& host, const std::string& cid);

// What a VM needs to put its root overlay on a stemcell (<backingStore>).
struct StemcellImage {
  std::string cid;
  std::string path;       // on the hypervisor: <backingStore><path>
  std::string format;     // "qcow2" or "raw": <backingStore><format type=...>
  uint64_t capacity = 0;  // virtual size in bytes (the overlay's minimum capacity)
};

// nullopt when there is no such stemcell (see FindStemcell). Throws on other failures.
std::optional<StemcellImage> DescribeStemcell(host::Host& host, const std::string& cid);

// The cloud_properties given to create_stemcell; nullopt when the stemcell or its sidecar does
// not exist (stemcells are imported with both). Throws CloudError when the sidecar cannot be
// read or does not hold JSON.
std::optional<nlohmann::json> ReadStemcellProperties(host::Host& host, const std::string& cid);

// Names of the domains (VMs) whose disks use the stemcell: directly, or through an overlay
// volume of the pool (transitively) whose backing store is the stemcell.
std::vector<std::string> DomainsUsingStemcell(host::Host& host, const std::string& cid);

enum class DeleteResult {
  kDeleted,   // the base volume existed and was deleted (its sidecar too)
  kNotFound,  // no such stemcell (a leftover sidecar is still removed)
  kNotOurs,   // `cid` is not of the form sc-<uuid>: nothing was looked at or touched
};

// The lock (util::FileLock in config.lock_dir) that create_vm holds shared from before it makes
// a root overlay on the stemcell until its domain is defined, and delete_stemcell exclusively.
std::string StemcellLockName(const std::string& cid);

// Deletes the stemcell's volume and its sidecar, under the stemcell's lock (exclusive: waits for
// every create_vm on it to have defined its domain). A missing stemcell is not an error (the
// Director does not know StemcellNotFound). Refuses with CloudError (no retry: only deleting
// VMs or running `cleanup` helps) naming the VMs while any domain still uses it (deleting a
// backing file breaks every VM on it), and naming the volumes while any overlay of no VM is
// still backed by it (the `cleanup` command's to remove). A `shared` host's pool is refreshed
// first, under the lock, so the overlays other shared hosts made in the same storage count too.
DeleteResult DeleteStemcell(host::Host& host, const std::string& cid);

}  // namespace cpi::stemcell
