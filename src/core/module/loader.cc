#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <string>
#include <vector>

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/module/hypervisor_module.h"
#include "bosh_libvirt_cpi/module/loader.h"

// Weak: present only when the module's objects are linked in (the test binary).
extern "C" const cpi::module::HypervisorModule* bosh_libvirt_cpi_hypervisor_module()
    __attribute__((weak));

namespace cpi::module {
namespace {

constexpr const char* kModuleFile = "libbosh-libvirt-cpi-hypervisor.so";
constexpr const char* kEntryPoint = "bosh_libvirt_cpi_hypervisor_module";

const HypervisorModule* loaded = nullptr;

std::string ExecutableDir() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return ".";
  std::string path(buf, static_cast<size_t>(n));
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::vector<std::string> Candidates(const std::string& file, const char* env_var) {
  std::vector<std::string> out;
  if (const char* env = std::getenv(env_var); env != nullptr && *env) {
    out.emplace_back(env);
    return out;
  }
  // The release's bundle starts the executable through its own dynamic loader (README.md,
  // "Building the release"), so /proc/self/exe names the loader, not the executable: its bin/cpi
  // names the modules' folder explicitly.
  if (const char* dir = std::getenv(kModuleDirEnv); dir != nullptr && *dir) {
    out.push_back(std::string(dir) + "/" + file);
    return out;
  }
  std::string dir = ExecutableDir();
  out.push_back(dir + "/" + file);
  out.push_back(dir + "/../lib/bosh-libvirt-cpi/" + file);
  return out;
}

bool Complete(const HypervisorModule& m) {
  return m.abi_version == kAbiVersion && m.call != nullptr && m.cleanup != nullptr &&
         m.hosts != nullptr;
}

}  // namespace

const HypervisorModule& Hypervisor() {
  if (loaded == nullptr) {
    loaded = &LoadTable<HypervisorModule>(
        {kModuleFile, "BOSH_LIBVIRT_CPI_MODULE", kEntryPoint, "hypervisor module"},
        &bosh_libvirt_cpi_hypervisor_module, &Complete);
  }
  return *loaded;
}

void* LoadEntryPoint(const ModuleSpec& spec) {
  std::string errors;
  for (const std::string& path : Candidates(spec.file, spec.env_var)) {
    if (access(path.c_str(), F_OK) != 0) {
      errors += (errors.empty() ? "" : "; ") + path + ": not found";
      continue;
    }
    // Lazy: a call uses a fraction of the module's and its libraries' functions, and binding
    // them all up front cost 13% of has_vm's instructions (BENCHMARKS.md); a module from another
    // build is still refused by its version check.
    void* handle = dlopen(path.c_str(), RTLD_LAZY | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = dlerror();
      errors += (errors.empty() ? "" : "; ") + path + ": " + (why ? why : "dlopen failed");
      continue;
    }
    void* entry = dlsym(handle, spec.entry_point);
    if (entry == nullptr) {
      throw CpiError(std::string("Loading ") + spec.what + " " + Quote(path) + ": no entry point " +
                     spec.entry_point);
    }
    return entry;
  }
  throw CpiError(std::string("Loading ") + spec.what + ": " + errors);
}

}  // namespace cpi::module
