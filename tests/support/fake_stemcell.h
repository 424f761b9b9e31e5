#pragma once

#include <string>

#include "support/libvirt_world.h"

namespace cpi::testing {

// Puts a small qcow2 image (not bootable: for tests that check libvirt's view, not the guest's)
// into the world's pool as a stemcell volume, the way create_stemcell stores one, and returns
// its CID. `format` is qcow2 or raw.
std::string AddFakeStemcell(LibvirtWorld& world, const std::string& format = "qcow2",
                            uint64_t virtual_size = 64ull << 20);

}  // namespace cpi::testing
