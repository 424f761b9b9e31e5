#pragma once

#include <string>
#include <string_view>

namespace cpi::util {

// A random UUID in lowercase text form, from the kernel's random source: version 4, or with
// `version` in its version field (8: RFC 9562's custom UUID, random in the same 122 bits).
std::string NewUuid(unsigned version = 4);

// `n` random lowercase hex characters.
std::string RandomHex(size_t n);

// CIDs (docs/ARCHITECTURE.md §4). Checks are strict so that a CID from a request can be used as a
// libvirt object name without further escaping. VM, disk and snapshot CIDs may carry the key of
// the host they live on (docs/MULTIHOST.md, "CIDs"): two letters from g..z, never hex, so a CID
// made before hosts had keys never looks keyed. An empty `host_key` makes a hostless CID.
std::string NewStemcellCid();  // sc-<uuid>, on every host
// vm-<uuid version 8> or vm-<key>-<uuid version 8>: its NICs' MACs derive from it
// (vm/mac_allocation.h)
std::string NewVmCid(std::string_view host_key = "");
// disk-<15 hex> or disk-<key><13 hex>: exactly 20 characters either way (the virtio serial)
std::string NewDiskCid(std::string_view host_key = "");
// snap-<uuid> or snap-<key>-<uuid>
std::string NewSnapshotCid(std::string_view host_key = "");

bool IsStemcellCid(std::string_view cid);
bool IsVmCid(std::string_view cid);
bool IsDiskCid(std::string_view cid);
bool IsSnapshotCid(std::string_view cid);

// Whether `key` can be a host key: two letters from g..z. Inline: the configuration (in the
// executable) checks `hosts[].key` with it too.
inline bool IsHostKey(std::string_view key) {
  auto letter = [](char c) { return c >= 'g' && c <= 'z'; };
  return key.size() == 2 && letter(key[0]) && letter(key[1]);
}
// The host key inside a VM, disk or snapshot CID; "" for a hostless CID or any other string.
std::string CidHostKey(std::string_view cid);
// The UUID of a VM or snapshot CID, keyed or not ("" for anything else).
std::string_view CidUuid(std::string_view cid);

}  // namespace cpi::util
