#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bosh_libvirt_cpi/config/config.h"

// The operator's `bosh-libvirt-cpi cleanup` command: finds the volumes of the CPI's storage pool
// that no BOSH CID can reach any more — what a CPI process killed in the middle of a call (or a
// libvirtd lost mid-call) leaves behind — and removes them once they are old enough:
//
//   vm-<uuid>-root|-ephemeral|-config|-config-alt  whose domain vm-<uuid> does not exist, or
//                                 exists but does not use the volume (an interrupted config-drive
//                                 swap of an API v1 attach/detach)
//   sc-<uuid>                     without its sidecar sc-<uuid>-props: a half-uploaded stemcell
//                                 (create_stemcell writes the sidecar only after the upload)
//   sc-<uuid>-props               whose stemcell is gone (an interrupted delete_stemcell)
//   disk-<15 hex>-meta|-meta-alt  (the two slots of a disk's metadata) whose disk is gone
//   disk-<15 hex>                 beside its mark disk-<15 hex>-creating: create_disk makes the
//                                 mark first and removes it as its last step, so the disk's CID
//                                 never reached BOSH; removed with the mark (after the disk)
//   disk-<15 hex>-creating        a mark without its disk (create_disk killed before the disk)
//   snap-<uuid>                   without its sidecar snap-<uuid>-meta (written last by
//                                 snapshot_disk)
//   snap-<uuid>-meta              whose snapshot is gone
//
// Domains too: a vm-<uuid> domain of this pool that still carries create_vm's marker
// (vm::kCreatingNamespace) was left by a create_vm that never answered — killed, or its daemon
// lost between defining and starting it — so no CID reaches it: it is destroyed and undefined
// once the marker is older than the minimum age, and its volumes go with it (whatever their own
// age). Reported, never removed: vm-<uuid> domains without the marker that are shut off and never
// got set_vm_metadata (made by a version without the marker, or from an operator's template that
// lacks it); only BOSH knows whether it has their CID.
//
// Never touched: persistent disks without the mark (the Director owns orphaned disks), stemcells
// with their sidecar, anything another name, and any volume a domain or another volume (as its
// backing file) still uses. Only volumes older than Options::min_age_seconds are removed: a
// younger one may belong to a call still running. The age is taken from the volume file's
// modification time (the volume XML's <timestamps><mtime>), so an upload in progress keeps its
// volume young; a volume whose pool gives no time is only removed with a minimum age of 0.
namespace cpi::cleanup {

struct Options {
  bool dry_run = false;
  int64_t min_age_seconds = 3600;
  std::string host;  // the name of the host (config.hosts) to clean; empty: the first host
};

// One volume of the pool, as cleanup needs to know it.
struct VolumeFacts {
  std::string name;
  std::string path;                 // <target><path>
  std::string backing_path;         // <backingStore><path>, empty when none
  std::optional<int64_t> modified;  // mtime (epoch seconds), when the pool reports it
};

// One domain of the host: everything its definitions (persistent and live) use.
struct DomainFacts {
  std::string name;
  std::vector<std::string> paths;         // disk sources and backing-store sources
  std::vector<std::string> pool_volumes;  // "<pool>/<volume>" of type='volume' disks
  bool running = false;
  bool bosh_metadata = true;  // set_vm_metadata stored something
  // create_vm's marker is still there: its `since` (epoch seconds; 0 when unreadable).
  std::optional<int64_t> creating_since;
};

enum class Verdict {
  kRemove,    // unreachable and old enough
  kTooYoung,  // unreachable, but younger than the minimum age (or of unknown age)
  kInUse,     // unreachable by its name, yet a domain or another volume uses it: never removed
  kSuspect,   // a domain that looks like a create_vm's leftover: for the operator to check
};

struct Finding {
  enum class Kind { kVolume, kDomain };
  Kind kind = Kind::kVolume;
  std::string volume;  // the volume's name, or the domain's for Kind::kDomain
  std::string what;    // e.g. "volume of VM 'vm-…'"
  std::string why;     // e.g. "no domain 'vm-…' exists"
  std::optional<int64_t> age_seconds;
  Verdict verdict = Verdict::kTooYoung;
  bool removed = false;  // set by the command once the volume was deleted
  std::string error;     // set by the command when deleting it failed
};

// Which of `volumes` (all volumes of pool `pool`) no CID reaches, given every domain of the host
// and the time `now` (epoch seconds). Pure: looks at nothing else. Findings come in removal
// order: abandoned domains first, then each volume before the volume it is backed by.
std::vector<Finding> Classify(const std::string& pool, const std::vector<VolumeFacts>& volumes,
                              const std::vector<DomainFacts>& domains, const Options& options,
                              int64_t now);

struct Report {
  std::string uri;
  std::string pool;
  std::vector<Finding> findings;
};

// Runs the command against the configured libvirt and pool (in the hypervisor module): lists,
// classifies and, unless dry_run, removes the kRemove findings (domains: destroy + undefine). Holds
// vm::CreationLockName's lock exclusively meanwhile, so a create_vm running on this machine (same
// lock_dir) is never caught half-way. Throws cpi::Error when the daemon or pool cannot be read; a
// volume that cannot be deleted is reported in its Finding instead.
Report Run(const config::Config& config, const Options& options);

// One line for the operator (core; no libvirt):
//   "removed sc-…: half-uploaded stemcell; no sidecar 'sc-…-props' (age 2h05m)"
// with "would remove" (dry run), "kept" (too young, in use), "check" (a suspect domain) or
// "FAILED" in front.
std::string Describe(const Finding& finding, bool dry_run);

// "45s", "12m03s", "3h12m", "2d04h"; "unknown" for nullopt.
std::string FormatAge(std::optional<int64_t> seconds);

}  // namespace cpi::cleanup
