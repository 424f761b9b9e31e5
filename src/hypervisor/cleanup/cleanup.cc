// The `cleanup` command (cleanup.h): which pool volumes no CID reaches any more, and removing them.
#include "bosh_libvirt_cpi/cleanup/cleanup.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/filesystem.hpp>
#include <ctime>
#include <map>
#include <set>

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/host/domain_xml.h"
#include "bosh_libvirt_cpi/host/host.h"
#include "bosh_libvirt_cpi/host/volume_xml.h"
#include "bosh_libvirt_cpi/names/names.h"
#include "bosh_libvirt_cpi/stemcell/stemcell.h"
#include "bosh_libvirt_cpi/util/file_lock.h"
#include "bosh_libvirt_cpi/util/ids.h"
#include "bosh_libvirt_cpi/util/uri.h"
#include "bosh_libvirt_cpi/virt/error.h"
#include "bosh_libvirt_cpi/vm/domain_spec.h"
#include "bosh_libvirt_cpi/vm/vm_service.h"
#include "bosh_libvirt_cpi/xml/document.h"

namespace cpi::cleanup {
namespace {

using names::VolumeName;

std::string Q(const std::string& s) { return "'" + s + "'"; }

// Why no CID reaches the volume, or nullopt when one does (or it is not ours to judge).
std::optional<std::pair<std::string, std::string>> Unreachable(
    const VolumeFacts& v, const std::set<std::string>& volumes,
    const std::map<std::string, const DomainFacts*>& domains, const std::string& pool) {
  std::optional<VolumeName> n = names::ParseVolumeName(v.name);
  if (!n) return std::nullopt;
  auto has = [&](const std::string& name) { return volumes.count(name) != 0; };
  switch (n->kind) {
    case VolumeName::kVm: {
      std::string what = "volume of VM " + Q(n->cid);
      auto dom = domains.find(n->cid);
      if (dom == domains.end()) {
        return std::pair{what, "no domain " + Q(n->cid) +
                                   " exists (create_vm or delete_vm "
                                   "was interrupted)"};
      }
      const DomainFacts& d = *dom->second;
      bool used =
          std::count(d.paths.begin(), d.paths.end(), v.path) != 0 ||
          std::count(d.pool_volumes.begin(), d.pool_volumes.end(), pool + "/" + v.name) != 0;
      if (used || v.path.empty()) return std::nullopt;
      return std::pair{what, "its domain does not use it (an interrupted config-drive swap)"};
    }
    case VolumeName::kStemcell:
      if (n->suffix.empty()) {
        if (has(names::StemcellPropertiesVolume(n->cid))) return std::nullopt;
        return std::pair{std::string("half-uploaded stemcell"),
                         "no sidecar " + Q(names::StemcellPropertiesVolume(n->cid)) +
                             " (create_stemcell writes it after the upload)"};
      }
      if (has(n->cid)) return std::nullopt;
      return std::pair{"cloud_properties of stemcell " + Q(n->cid),
                       std::string("the stemcell is gone (delete_stemcell was interrupted)")};
    case VolumeName::kDisk: {
      std::string mark = names::CreatingMarkVolume(n->cid);
      if (n->suffix.empty()) {
        // A disk is the Director's to delete (orphaned disks), whatever state it is in, unless
        // create_disk never answered: then BOSH has no CID for it.
        if (!has(mark)) return std::nullopt;
        return std::pair{std::string("disk of an unfinished create_disk"),
                         "its mark " + Q(mark) +
                             " is still there: create_disk never answered (killed, or its daemon "
                             "was lost), so BOSH has no CID for it"};
      }
      if (v.name == mark) {
        return std::pair{
            "mark of an unfinished create_disk " + Q(n->cid),
            std::string(has(n->cid) ? "goes with its disk, after it" : "the disk was never made")};
      }
      if (has(n->cid)) return std::nullopt;
      return std::pair{"metadata of disk " + Q(n->cid), std::string("the disk is gone")};
    }
    case VolumeName::kSnapshot:
      if (n->suffix.empty()) {
        if (has(names::MetadataVolume(n->cid))) return std::nullopt;
        return std::pair{std::string("unfinished snapshot"),
                         "no sidecar " + Q(names::MetadataVolume(n->cid)) +
                             " (snapshot_disk writes it after the copy)"};
      }
      if (has(n->cid)) return std::nullopt;
      return std::pair{"record of snapshot " + Q(n->cid), std::string("the snapshot is gone")};
  }
  return std::nullopt;
}

VolumeFacts ReadVolume(const virt::VolumeDescription& v) {
  host::VolumeTarget target = host::ReadVolumeXml(v.xml, "volume " + Quote(v.name));
  VolumeFacts facts;
  facts.name = v.name;
  facts.path = target.path;
  facts.backing_path = target.backing_path;
  facts.modified = target.modified;
  return facts;
}

DomainFacts ReadDomain(const virt::DomainDescription& d) {
  DomainFacts facts;
  facts.name = d.name;
  facts.running = !d.live_xml.empty();
  facts.bosh_metadata = false;
  for (const std::string* text : {&d.config_xml, &d.live_xml}) {
    if (text->empty()) continue;
    xml::Document doc = xml::Document::Parse(*text, "domain " + Quote(d.name));
    host::DiskSources sources = host::ReadDiskSources(doc);
    facts.paths.insert(facts.paths.end(), sources.paths.begin(), sources.paths.end());
    facts.pool_volumes.insert(facts.pool_volumes.end(), sources.pool_volumes.begin(),
                              sources.pool_volumes.end());
    facts.bosh_metadata =
        facts.bosh_metadata || doc.Number("count(/domain/metadata/*[namespace-uri()='" +
                                          std::string(vm::kBoshMetadataNamespace) + "'])") > 0;
    std::string marker =
        "/domain/metadata/*[namespace-uri()='" + std::string(vm::kCreatingNamespace) + "']";
    if (!facts.creating_since && doc.Number("count(" + marker + ")") > 0) {
      facts.creating_since = host::EpochSeconds(doc.String(marker + "/@since")).value_or(0);
    }
  }
  return facts;
}

// A create_vm killed while it held its stemcell's lock (shared) leaves the lock file behind.
// Passing through each stemcell lock of the folder, shared (so never waiting for a create_vm in
// progress), removes the files no live process holds (util::FileLock: the last holder removes the
// file).
void DropStaleStemcellLocks(const std::string& lock_dir) {
  const std::string prefix = stemcell::StemcellLockName(""), suffix = ".lock";
  std::vector<std::string> cids;
  boost::system::error_code ec;
  for (boost::filesystem::directory_iterator it(lock_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() + suffix.size() || name.rfind(prefix, 0) != 0 ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    std::string cid = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    if (util::IsStemcellCid(cid)) cids.push_back(cid);
  }
  for (const std::string& cid : cids) {
    util::FileLock pass(lock_dir, stemcell::StemcellLockName(cid), util::LockMode::kShared);
  }
}

// Destroys and undefines the domain; false when it was gone already.
bool RemoveDomain(host::Host& host, const std::string& name) {
  std::unique_ptr<virt::Domain> dom = host.FindDomain(name);
  if (!dom) return false;
  dom->Destroy();
  dom->Undefine();
  return true;
}

}  // namespace

namespace {

// A volume found by Unreachable, with the facts it was judged on (none for a domain finding).
struct Judged {
  Finding finding;
  const VolumeFacts* facts = nullptr;
};

bool OldEnough(const Options& options, const std::optional<int64_t>& age) {
  return options.min_age_seconds <= 0 || (age && *age >= options.min_age_seconds);
}

// Step 1: domains of this pool a create_vm left before answering (they still carry its
// marker). Those old enough are removed in this run (`abandoned`): their volumes go with them.
std::vector<Finding> AbandonedDomains(const std::set<std::string>& volume_names,
                                      const std::vector<DomainFacts>& domains,
                                      const Options& options, int64_t now,
                                      std::set<std::string>& abandoned) {
  std::vector<Finding> out;
  for (const DomainFacts& d : domains) {
    if (!util::IsVmCid(d.name) || !d.creating_since ||
        !volume_names.count(names::RootVolume(d.name)))
      continue;
    Finding f;
    f.kind = Finding::Kind::kDomain;
    f.volume = d.name;
    f.what =
        std::string("domain of an unfinished create_vm, ") + (d.running ? "running" : "shut off");
    f.why = "create_vm never answered (killed, or its daemon was lost), so BOSH has no CID for it";
    if (*d.creating_since > 0) f.age_seconds = now - *d.creating_since;
    bool old_enough = OldEnough(options, f.age_seconds);
    f.verdict = old_enough ? Verdict::kRemove : Verdict::kTooYoung;
    if (old_enough) abandoned.insert(d.name);
    out.push_back(std::move(f));
  }
  return out;
}

// The domains (other than `abandoned` ones) that use the volume, quoted.
std::vector<std::string> Users(const VolumeFacts& v, const std::vector<DomainFacts>& domains,
                               const std::set<std::string>& abandoned, const std::string& pool) {
  std::vector<std::string> users;
  for (const DomainFacts& d : domains) {
    if (abandoned.count(d.name)) continue;
    bool uses = (!v.path.empty() && std::count(d.paths.begin(), d.paths.end(), v.path) != 0) ||
                std::count(d.pool_volumes.begin(), d.pool_volumes.end(), pool + "/" + v.name) != 0;
    if (uses) users.push_back(Q(d.name));
  }
  return users;
}

// Step 2: the volumes no CID reaches any more, each with its verdict.
std::vector<Judged> UnreachableVolumes(const std::string& pool,
                                       const std::vector<VolumeFacts>& volumes,
                                       const std::set<std::string>& volume_names,
                                       const std::vector<DomainFacts>& domains,
                                       const std::set<std::string>& abandoned,
                                       const Options& options, int64_t now) {
  std::map<std::string, const DomainFacts*> by_name;
  for (const DomainFacts& d : domains) {
    if (!abandoned.count(d.name)) by_name[d.name] = &d;
  }
  std::vector<Judged> out;
  for (const VolumeFacts& v : volumes) {
    std::optional<std::pair<std::string, std::string>> why =
        Unreachable(v, volume_names, by_name, pool);
    if (!why) continue;
    Finding f;
    f.volume = v.name;
    f.what = why->first;
    f.why = why->second;
    if (v.modified) f.age_seconds = now - *v.modified;
    std::optional<VolumeName> n = names::ParseVolumeName(v.name);
    bool with_domain = n && n->kind == VolumeName::kVm && abandoned.count(n->cid) != 0;
    if (with_domain) f.why = "removed with its domain, which create_vm never handed to BOSH";

    // Whatever its name says, a volume a domain uses is never removed.
    std::vector<std::string> users = Users(v, domains, abandoned, pool);
    if (!users.empty()) {
      f.verdict = Verdict::kInUse;
      f.why += "; but domain " + users.front() + " uses it";
    } else if (with_domain) {
      f.verdict = Verdict::kRemove;  // the domain's age decided
    } else if (options.min_age_seconds > 0 &&
               (!f.age_seconds || *f.age_seconds < options.min_age_seconds)) {
      f.verdict = Verdict::kTooYoung;
    } else {
      f.verdict = Verdict::kRemove;
    }
    out.push_back({std::move(f), &v});
  }
  return out;
}

// Step 3: a volume another volume is backed by stays while that one stays (only the backing
// chain of volumes removed in this run may go with them).
void KeepBackingVolumes(std::vector<Judged>& judged, const std::vector<VolumeFacts>& volumes) {
  auto removing = [&](const std::string& name) {
    for (const Judged& j : judged) {
      if (j.finding.volume == name) return j.finding.verdict == Verdict::kRemove;
    }
    return false;
  };
  for (bool changed = true; changed;) {
    changed = false;
    for (Judged& j : judged) {
      if (j.finding.verdict != Verdict::kRemove || j.facts->path.empty()) continue;
      for (const VolumeFacts& v : volumes) {
        if (v.backing_path == j.facts->path && !removing(v.name)) {
          j.finding.verdict = Verdict::kInUse;
          j.finding.why += "; but volume " + Q(v.name) + " is backed by it";
          changed = true;
          break;
        }
      }
    }
  }
}

// Whether `mark` is the creating mark of the disk `disk`.
bool IsMarkOf(const std::string& mark, const std::string& disk) {
  std::optional<VolumeName> n = names::ParseVolumeName(disk);
  return n && n->kind == VolumeName::kDisk && n->suffix.empty() &&
         mark == names::CreatingMarkVolume(n->cid);
}

// Step 3b: a create_disk's mark stays exactly as long as its disk does (a disk that lost its mark
// would look like one the Director owns, and never be found again).
void MarksFollowTheirDisks(std::vector<Judged>& judged) {
  for (Judged& mark : judged) {
    for (const Judged& disk : judged) {
      if (!IsMarkOf(mark.finding.volume, disk.finding.volume)) continue;
      mark.finding.verdict = disk.finding.verdict;
      mark.finding.age_seconds = disk.finding.age_seconds;
    }
  }
}

// Step 4: domains a create_vm may have left half-made: reported only (a definition is no
// garbage to remove on a guess; the Director may still hold the CID).
void AddSuspectDomains(const std::set<std::string>& volume_names,
                       const std::vector<VolumeFacts>& volumes,
                       const std::vector<DomainFacts>& domains, int64_t now,
                       std::vector<Judged>& judged) {
  for (const DomainFacts& d : domains) {
    // Only this pool's VMs (other pools have their own CPI config and cleanup run).
    if (!util::IsVmCid(d.name) || d.running || d.bosh_metadata || d.creating_since ||
        !volume_names.count(names::RootVolume(d.name))) {
      continue;
    }
    Finding f;
    f.volume = d.name;
    f.what = "domain, shut off, never given BOSH metadata";
    f.why =
        "a create_vm that lost libvirtd between defining and starting it leaves one; if BOSH "
        "knows no VM " +
        Q(d.name) + ", delete_vm removes it with its volumes";
    for (const VolumeFacts& v : volumes) {
      if (v.name == names::RootVolume(d.name) && v.modified) f.age_seconds = now - *v.modified;
    }
    f.verdict = Verdict::kSuspect;
    judged.push_back({std::move(f), nullptr});
  }
}

// Step 5: removal order: domains first (their volumes follow), overlays before their backing
// volumes.
std::vector<Finding> InRemovalOrder(std::vector<Finding> domain_findings,
                                    const std::vector<Judged>& judged) {
  std::vector<Finding> ordered = std::move(domain_findings);
  std::vector<bool> done(judged.size(), false);
  // Whether judged[i] must wait for a volume not yet emitted that is backed by it.
  auto waits = [&](size_t i) {
    const VolumeFacts* facts = judged[i].facts;
    if (facts == nullptr || facts->path.empty()) return false;
    for (size_t j = 0; j < judged.size(); ++j) {
      if (done[j] || j == i) continue;
      if (judged[j].facts && judged[j].facts->backing_path == facts->path) return true;
      if (IsMarkOf(judged[i].finding.volume, judged[j].finding.volume)) return true;
    }
    return false;
  };
  for (size_t emitted = 0; emitted < judged.size();) {
    size_t before = emitted;
    for (size_t i = 0; i < judged.size(); ++i) {
      if (done[i] || waits(i)) continue;
      ordered.push_back(judged[i].finding);
      done[i] = true;
      ++emitted;
    }
    if (emitted == before) {  // a cycle cannot happen with real backing chains; be safe anyway
      for (size_t i = 0; i < judged.size(); ++i) {
        if (!done[i]) ordered.push_back(judged[i].finding), done[i] = true, ++emitted;
      }
    }
  }
  return ordered;
}

}  // namespace

std::vector<Finding> Classify(const std::string& pool, const std::vector<VolumeFacts>& volumes,
                              const std::vector<DomainFacts>& domains, const Options& options,
                              int64_t now) {
  std::set<std::string> volume_names;
  for (const VolumeFacts& v : volumes) volume_names.insert(v.name);
  std::set<std::string> abandoned;
  std::vector<Finding> domain_findings =
      AbandonedDomains(volume_names, domains, options, now, abandoned);
  std::vector<Judged> judged =
      UnreachableVolumes(pool, volumes, volume_names, domains, abandoned, options, now);
  KeepBackingVolumes(judged, volumes);
  MarksFollowTheirDisks(judged);
  AddSuspectDomains(volume_names, volumes, domains, now, judged);
  return InRemovalOrder(std::move(domain_findings), judged);
}

Report Run(const config::Config& config, const Options& options) {
  virt::SilenceDefaultErrorPrinter();
  const config::HostConfig* spec =
      options.host.empty() ? &config::DefaultHost(config) : config::HostNamed(config, options.host);
  if (spec == nullptr) {
    std::string names;
    for (const config::HostConfig& h : config.hosts) names += (names.empty() ? "" : ", ") + h.name;
    throw CpiError("cleanup: no host named " + Quote(options.host) + " (hosts: " + names + ")");
  }
  Report report;
  const config::Libvirt& settings = config::SettingsOf(config, *spec);
  report.uri = util::RedactUri(settings.uri);
  report.pool = settings.storage_pool;
  // Every create_vm holds this lock shared from before its first volume until its domain is
  // defined; exclusively held, no create_vm is half-way.
  util::FileLock creation_lock(config.lock_dir, vm::CreationLockName(settings.uri));
  // Lock files of killed processes that nobody takes again (a MAC's, a deleted disk's).
  util::RemoveStaleLocks(config.lock_dir, "");
  host::Host host = host::Host::Open(config, *spec);
  std::vector<VolumeFacts> volumes;
  std::vector<DomainFacts> domains;
  try {
    virt::Pool& pool = host.Pool();
    // Picks up files libvirt has not seen (a daemon that died mid-call). Refused while another
    // process is building a volume; the list libvirt has is then used as it is.
    try {
      pool.Refresh();
    } catch (const virt::Error& e) {
      spdlog::warn("{}", e.what());
    }
    for (const virt::VolumeDescription& v : pool.ListVolumes()) {
      volumes.push_back(ReadVolume(v));
    }
    for (const virt::DomainDescription& d : host.conn().ListDomains()) {
      domains.push_back(ReadDomain(d));
    }
  } catch (...) {
    host::RethrowWithStep("reading pool " + Quote(host.pool_name()));
  }

  report.findings = Classify(host.pool_name(), volumes, domains, options, std::time(nullptr));
  if (options.dry_run) return report;
  DropStaleStemcellLocks(config.lock_dir);
  virt::Pool& pool = host.Pool();
  std::set<std::string> kept_domains;  // abandoned domains that could not be removed
  std::set<std::string> kept_disks;    // unfinished create_disk's disks that could not be removed
  for (Finding& f : report.findings) {
    if (f.verdict != Verdict::kRemove) continue;
    if (f.kind == Finding::Kind::kDomain) {
      try {
        f.removed = RemoveDomain(host, f.volume);
        if (f.removed) spdlog::info("removed domain {} ({})", f.volume, f.what);
      } catch (const std::exception& e) {
        f.error = e.what();
        kept_domains.insert(f.volume);
      }
      continue;
    }
    std::optional<VolumeName> n = names::ParseVolumeName(f.volume);
    if (n && n->kind == VolumeName::kVm && kept_domains.count(n->cid)) {
      f.error = "its domain " + Q(n->cid) + " could not be removed";
      continue;
    }
    bool disk_mark = n && n->kind == VolumeName::kDisk && !n->suffix.empty() &&
                     f.volume == names::CreatingMarkVolume(n->cid);
    if (disk_mark && kept_disks.count(n->cid)) {
      f.error = "its disk " + Q(n->cid) + " could not be removed";
      continue;
    }
    try {
      f.removed = pool.DeleteVolume(f.volume);
      if (f.removed) spdlog::info("deleted volume {} ({})", f.volume, f.what);
    } catch (const std::exception& e) {
      f.error = e.what();
      if (n && n->kind == VolumeName::kDisk && n->suffix.empty()) kept_disks.insert(n->cid);
    }
  }
  return report;
}

}  // namespace cpi::cleanup
