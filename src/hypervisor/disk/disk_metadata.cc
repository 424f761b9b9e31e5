#include "bosh_libvirt_cpi/disk/disk_metadata.h"

#include <spdlog/spdlog.h>

#include "bosh_libvirt_cpi/disk/volumes.h"
#include "bosh_libvirt_cpi/host/sidecar.h"
#include "bosh_libvirt_cpi/names/names.h"

namespace cpi::disk {

std::optional<MetadataRecord> ParseMetadataRecord(std::string_view bytes) {
  nlohmann::json value = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr,
                                               /*allow_exceptions=*/false);
  if (value.is_discarded()) return std::nullopt;  // empty, zeros, cut short, not JSON
  auto generation = value.is_object() ? value.find("generation") : value.end();
  if (value.is_object() && value.size() == 2 && generation != value.end() &&
      generation->is_number_unsigned() && value.contains("metadata")) {
    return MetadataRecord{generation->get<uint64_t>(), value["metadata"]};
  }
  // Bare metadata, as versions before the slots wrote it into slot A.
  return MetadataRecord{0, std::move(value)};
}

std::string SerializeMetadataRecord(const MetadataRecord& record) {
  return nlohmann::json{{"generation", record.generation}, {"metadata", record.metadata}}.dump();
}

namespace {

// Whether slot B holds the current value: the complete record with the highest generation (A on
// a tie, which writes never make: B never gets generation 0).
bool CurrentIsB(const std::optional<MetadataRecord>& a, const std::optional<MetadataRecord>& b) {
  return b && (!a || b->generation > a->generation);
}

}  // namespace

SlotChoice ChooseSlot(const std::optional<MetadataRecord>& a,
                      const std::optional<MetadataRecord>& b) {
  SlotChoice choice;
  bool current_is_b = CurrentIsB(a, b);
  const std::optional<MetadataRecord>& current = current_is_b ? b : a;
  choice.write_alternate = !current_is_b && current.has_value();
  choice.generation = current ? current->generation + 1 : 1;
  return choice;
}

namespace {

std::optional<MetadataRecord> ReadSlot(host::Host& host, const std::string& name) {
  std::optional<std::string> bytes = host::ReadSidecarBytes(host, name, kMaxSidecarBytes);
  if (!bytes) return std::nullopt;
  return ParseMetadataRecord(*bytes);
}

}  // namespace

std::optional<nlohmann::json> ReadDiskMetadata(host::Host& host, const std::string& cid) {
  std::optional<MetadataRecord> a = ReadSlot(host, names::MetadataVolume(cid));
  std::optional<MetadataRecord> b = ReadSlot(host, names::AlternateMetadataVolume(cid));
  if (CurrentIsB(a, b)) return std::move(b->metadata);
  if (a) return std::move(a->metadata);
  return std::nullopt;
}

void WriteDiskMetadata(host::Host& host, const std::string& cid, const nlohmann::json& metadata) {
  std::string a = names::MetadataVolume(cid);
  std::string b = names::AlternateMetadataVolume(cid);
  SlotChoice choice = ChooseSlot(ReadSlot(host, a), ReadSlot(host, b));
  const std::string& target = choice.write_alternate ? b : a;
  const std::string& other = choice.write_alternate ? a : b;
  // The target slot holds no current value (a stale or cut-short record, or nothing): replacing
  // it is safe. The new record is complete and verified (UploadBytes reads it back) before the
  // other slot, the old value or a cut-short record, goes.
  WriteBytesVolume(host, target, SerializeMetadataRecord({choice.generation, metadata}));
  try {
    host.Pool().DeleteVolume(other);
  } catch (const std::exception& e) {
    // The new value is stored and wins by its generation; the next write replaces the old slot.
    spdlog::warn("metadata of disk {} stored, but its old slot {} stays: {}", cid, other, e.what());
  }
  spdlog::info("stored metadata of disk {} in volume {} (generation {})", cid, target,
               choice.generation);
}

}  // namespace cpi::disk
