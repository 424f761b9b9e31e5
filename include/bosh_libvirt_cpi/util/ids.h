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
// libvirt object name without further escaping.
std::string NewStemcellCid();  // sc-<uuid>
std::string NewVmCid();        // vm-<uuid version 8>: its NICs' MACs derive from it
                               // (vm/mac_allocation.h)
std::string NewDiskCid();      // disk-<15 hex>, exactly 20 characters
std::string NewSnapshotCid();  // snap-<uuid>

bool IsStemcellCid(std::string_view cid);
bool IsVmCid(std::string_view cid);
bool IsDiskCid(std::string_view cid);
bool IsSnapshotCid(std::string_view cid);

}  // namespace cpi::util
