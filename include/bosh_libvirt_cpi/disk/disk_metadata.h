#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/host/host.h"

// A disk's metadata (set_disk_metadata), replaced atomically in two slot volumes
// (docs/ARCHITECTURE.md §5). libvirt can neither rename a volume nor truncate one by an upload,
// so a value is never overwritten in place: the new one is written complete into the slot that
// does not hold the current value, then the old slot is removed. Each slot holds one record,
//   {"generation": N, "metadata": <the metadata>}
// and readers take the complete record with the highest generation. A slot cut short by a killed
// upload or a full pool is no record (the rest of the volume is zeros, and a strict prefix of a
// JSON object is never a JSON object), so a crash at any moment leaves the old value or the new
// one, never neither.
//   disk-<15 hex>-meta      slot A (also where versions before the slots kept the bare metadata,
//                           read as generation 0)
//   disk-<15 hex>-meta-alt  slot B
namespace cpi::disk {

struct MetadataRecord {
  uint64_t generation = 0;
  nlohmann::json metadata;
};

// The record a slot's bytes hold (cut at the first NUL), nullopt when they are no complete record:
// empty, zeros, a prefix, not JSON. A JSON value that is not a record (the bare metadata written
// before slots existed) is generation 0. Pure.
std::optional<MetadataRecord> ParseMetadataRecord(std::string_view bytes);

// The bytes of a record, as written into a slot. Pure.
std::string SerializeMetadataRecord(const MetadataRecord& record);

// Which slot a write goes to, given each slot's record (nullopt when the slot is missing or holds
// no complete record): the one not holding the current value. The other one is removed once the
// new record is written. Pure.
struct SlotChoice {
  bool write_alternate = false;  // write slot B (else slot A)
  uint64_t generation = 1;       // of the new record
};
SlotChoice ChooseSlot(const std::optional<MetadataRecord>& a,
                      const std::optional<MetadataRecord>& b);

// The current metadata of disk `cid`: the complete record with the highest generation; nullopt
// when neither slot holds one. Throws cpi::Error / virt::Error when a slot cannot be read.
std::optional<nlohmann::json> ReadDiskMetadata(host::Host& host, const std::string& cid);

// Writes `metadata` as disk `cid`'s new value (see above). The caller holds the disk's lock.
// Throws CpiError when it is larger than a sidecar may be, cpi::Error / virt::Error when writing
// fails: the previous value stays readable.
void WriteDiskMetadata(host::Host& host, const std::string& cid, const nlohmann::json& metadata);

}  // namespace cpi::disk
