#pragma once

#include "bosh_libvirt_cpi/util/handle.h"

namespace cpi::testing {

// A TCP socket listening on 127.0.0.1 at a free port: a stand-in host for qemu+tcp:// URIs.
// Connections to it complete (the kernel accepts them into its queue) whether or not anyone
// calls accept(). Throws std::runtime_error.
struct LoopbackListener {
  util::UniqueFd fd;
  int port = 0;
};
LoopbackListener ListenOnLoopback();

}  // namespace cpi::testing
