#pragma once

#include <string>
#include <string_view>

namespace cpi::util {

// A random (version 4) UUID in lowercase text form, from the kernel's random source.
std::string NewUuid();

// `n` random lowercase hex characters.
std::string RandomHex(size_t n);

// CIDs (docs/ARCHITECTURE.md §4). Checks are strict so that a CID from a request can be used as a
// libvirt object name without further escaping.
std::string NewStemcellCid();  // sc-<uuid>
std::string NewVmCid();        // vm-<uuid>
std::string NewDiskCid();      // disk-<15 hex>, exactly 20 characters
std::string NewSnapshotCid();  // snap-<uuid>

bool IsStemcellCid(std::string_view cid);
bool IsVmCid(std::string_view cid);
bool IsDiskCid(std::string_view cid);
bool IsSnapshotCid(std::string_view cid);

}  // namespace cpi::util
