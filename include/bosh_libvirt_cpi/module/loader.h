#pragma once

#include <string>

#include "bosh_libvirt_cpi/errors.h"

namespace cpi::module {

// One of the CPI's dlopened modules: its file, the variable that overrides its path, the C
// function that returns its table, and its name in error messages ("hypervisor module").
struct ModuleSpec {
  const char* file;
  const char* env_var;
  const char* entry_point;
  const char* what;
};

// The folder holding every module, for a program started through the dynamic loader (the
// release's bundle: `ld-linux-x86-64.so.2 --library-path ... bosh-libvirt-cpi`), where
// /proc/self/exe is the loader and the executable's own folder cannot be found from it.
inline constexpr const char* kModuleDirEnv = "BOSH_LIBVIRT_CPI_MODULE_DIR";

// dlopens the module — from $`env_var` when set, else from $BOSH_LIBVIRT_CPI_MODULE_DIR when set,
// else beside the executable, else in ../lib/bosh-libvirt-cpi/ — and returns its function
// `entry_point`. Never unloaded (the process
// ends after one call). Throws cpi::Error (CpiError) naming every place tried.
void* LoadEntryPoint(const ModuleSpec& spec);

// The table of a module. `linked` is the module's entry point declared weak by the caller: when
// the running program contains the module's code (the test binary, the diagnose tool) it is not
// null and that copy is used; otherwise the module is loaded (LoadEntryPoint). `complete` checks
// the table's ABI version and that every function is set; a table that fails it, or no table,
// throws CpiError "Loading <what> '<file>': it was built for a different version". Callers keep
// the result: each call may load.
template <typename Table>
const Table& LoadTable(const ModuleSpec& spec, const Table* (*linked)(),
                       bool (*complete)(const Table&)) {
  const Table* table = nullptr;
  std::string where = "(linked in)";
  if (linked != nullptr) {
    table = linked();
  } else {
    where = spec.file;
    table = reinterpret_cast<const Table* (*)()>(LoadEntryPoint(spec))();
  }
  if (table == nullptr || !complete(*table)) {
    throw CpiError(std::string("Loading ") + spec.what + " " + Quote(where) +
                   ": it was built for a different version of bosh-libvirt-cpi");
  }
  return *table;
}

}  // namespace cpi::module
