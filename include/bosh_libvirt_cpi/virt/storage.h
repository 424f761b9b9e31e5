#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bosh_libvirt_cpi/virt/handles.h"
#include "bosh_libvirt_cpi/virt/objects.h"

namespace cpi::virt {

// Storage-volume operations. Every function throws virt::Error naming the step.
StorageVolPtr CreateVolume(virStoragePoolPtr pool, const std::string& xml, const std::string& name);
// Deletes the volume; "no such volume" counts as success. Returns false when it was already gone.
bool DeleteVolume(virStoragePoolPtr pool, const std::string& name);
VolumeInfo GetVolumeInfo(virStorageVolPtr vol, const std::string& name);
std::string VolumePath(virStorageVolPtr vol, const std::string& name);
std::string VolumeXml(virStorageVolPtr vol, const std::string& name);
void ResizeVolume(virStorageVolPtr vol, uint64_t capacity_bytes, const std::string& name);
void RefreshPool(virStoragePoolPtr pool, const std::string& name);
// Every volume of `pool` with its XML description; volumes deleted while the list is read are
// left out.
std::vector<VolumeDescription> ListVolumeDescriptions(virStoragePoolPtr pool,
                                                      const std::string& pool_name);

// Replaces the volume's content with the bytes `source` produces, through a libvirt stream
// (works for remote daemons). With `sparse`, runs of zero bytes are sent as holes.
void UploadVolume(virConnectPtr conn, virStorageVolPtr vol, const ChunkSource& source,
                  const std::string& name, bool sparse = false);
void UploadBytes(virConnectPtr conn, virStorageVolPtr vol, std::string_view bytes,
                 const std::string& name);
// Streams the whole content into `sink` a chunk at a time; with `sparse`, holes as holes
// (Volume::DownloadTo).
void DownloadVolumeTo(virConnectPtr conn, virStorageVolPtr vol, const ChunkSink& sink,
                      const std::string& name, bool sparse);
// Replaces the content with what `writer` passes to its sink, data and holes, through one sparse
// stream, and reads the last data back (Volume::UploadFrom).
void UploadVolumeFrom(virConnectPtr conn, virStorageVolPtr vol, const ChunkWriter& writer,
                      const std::string& name);
// The pool's capacity, allocation and free space (virStoragePoolGetInfo).
PoolSpace GetPoolSpace(virStoragePoolPtr pool, const std::string& name);
// Reads the volume's content through a stream; at most `max_bytes` (0 = all).
std::string DownloadVolume(virConnectPtr conn, virStorageVolPtr vol, const std::string& name,
                           uint64_t max_bytes = 0);

}  // namespace cpi::virt
