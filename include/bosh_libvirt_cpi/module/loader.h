#pragma once

#include <string>

namespace cpi::module {

// dlopens the module `file` — from $`env_var` when set, else beside the executable, else in
// ../lib/bosh-libvirt-cpi/ — and returns its function `entry_point`. Never unloaded (the process
// ends after one call). Throws cpi::Error (CpiError) naming every place tried.
void* LoadEntryPoint(const std::string& file, const char* env_var, const char* entry_point,
                     const std::string& what);

}  // namespace cpi::module
