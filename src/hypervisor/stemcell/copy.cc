// The lazy copy of a stemcell onto a host whose pool lacks it (docs/MULTIHOST.md, "Stemcells"):
// create_vm's first use of the stemcell there.
#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/host/rollback.h"
#include "bosh_libvirt_cpi/host/sidecar.h"
#include "bosh_libvirt_cpi/names/names.h"
#include "bosh_libvirt_cpi/stemcell/hosts.h"
#include "bosh_libvirt_cpi/util/file_lock.h"
#include "bosh_libvirt_cpi/util/ids.h"

namespace cpi::stemcell {
namespace {

// cloud_properties are a few hundred bytes (as ReadStemcellProperties reads them).
constexpr uint64_t kMaxPropertiesBytes = 1024 * 1024;

// The stemcell when both its volumes are in `host`'s pool: the sidecar is written last, by the
// import and by the copy, so a base volume still being copied is not taken for a stemcell.
std::optional<StemcellImage> DescribeComplete(host::Host& host, const std::string& cid) {
  std::optional<StemcellImage> image = DescribeStemcell(host, cid);
  if (image && !host.FindVolume(names::StemcellPropertiesVolume(cid))) return std::nullopt;
  return image;
}

// A host holding the stemcell, open.
struct Source {
  std::optional<host::Host> host;
  StemcellImage image;
};

// The first host other than `target` (config order) whose pool holds the stemcell; none when no
// host has it. `asked` gets one entry per host looked at ("'kvm-b'", or why it could not be).
// Other shared hosts are the target's own storage, so they are no source.
std::optional<Source> FindSource(host::Host& target, const std::string& cid, const HostOpener& open,
                                 std::vector<std::string>& asked, bool& unanswered) {
  const config::Config& config = target.config();
  for (const config::HostConfig* spec : config::AllHosts(config)) {
    if (spec->name == target.spec().name || (spec->shared && target.spec().shared)) continue;
    try {
      host::Host other = open(*spec);
      std::optional<StemcellImage> image = DescribeComplete(other, cid);
      if (image) return Source{std::move(other), std::move(*image)};
      asked.push_back(Quote(spec->name));
    } catch (...) {
      // A host that does not answer may have it: only a retry can tell.
      unanswered = unanswered || host::RetryMayHelp();
      std::string why = "?";
      try {
        throw;
      } catch (const std::exception& e) {
        why = e.what();
      } catch (...) {
      }
      spdlog::warn("looking for stemcell {} on host {}: {}", cid, Quote(spec->name), why);
      asked.push_back(Quote(spec->name) + " (" + why + ")");
    }
  }
  return std::nullopt;
}

// Copies the base volume, then the sidecar, from `source` into `target`'s pool; on failure
// neither stays behind.
void Copy(host::Host& target, Source& source, const std::string& cid) {
  const std::string& templates_dir = target.config().templates_dir;
  std::string props_name = names::StemcellPropertiesVolume(cid);
  auto started = std::chrono::steady_clock::now();
  host::WithRollback(target, [&](host::Rollback& undo) {
    std::unique_ptr<virt::Volume> from = FindStemcell(*source.host, cid);
    if (!from) throw CloudError("stemcell " + cid + " went away during the copy");
    virt::Pool& pool = target.Pool();
    std::unique_ptr<virt::Volume> to = undo.MakeVolume(cid, [&] {
      return pool.CreateVolume(
          VolumeXml(cid, source.image.capacity, source.image.format, templates_dir), cid);
    });
    virt::CopyVolume(*from, *to);
    std::optional<std::string> props =
        host::ReadSidecarBytes(*source.host, props_name, kMaxPropertiesBytes);
    if (!props) throw CloudError("volume " + Quote(props_name) + " went away during the copy");
    std::unique_ptr<virt::Volume> props_vol = undo.MakeVolume(props_name, [&] {
      return pool.CreateVolume(VolumeXml(props_name, props->size(), "raw", templates_dir),
                               props_name);
    });
    props_vol->UploadBytes(*props);
  });
  spdlog::info("copied stemcell {} ({} bytes virtual) from host {} to host {} in {:.2f} s", cid,
               source.image.capacity, Quote(source.host->spec().name), Quote(target.spec().name),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

}  // namespace

std::string CopyLockName(const std::string& cid, const std::string& host_name) {
  return "stemcell-copy-" + cid + "-" + host_name;
}

StemcellImage FindOrCopyStemcell(host::Host& host, const std::string& cid, const HostOpener& open) {
  if (std::optional<StemcellImage> image = DescribeComplete(host, cid)) return std::move(*image);
  std::string not_found = "stemcell " + Quote(cid) + " not found in pool " +
                          Quote(host.pool_name()) + " of host " + Quote(host.spec().name);
  if (!util::IsStemcellCid(cid)) throw CloudError(not_found);

  const config::Config& config = host.config();
  // Shared: delete_stemcell (exclusive) waits until the copy is done. Exclusive per stemcell and
  // host: one copy at a time; whoever waited finds the stemcell there.
  util::FileLock in_use(config.lock_dir, StemcellLockName(cid), util::LockMode::kShared);
  util::FileLock copying(config.lock_dir, CopyLockName(cid, host.spec().name));
  if (host.spec().shared) host.Pool().Refresh();
  if (std::optional<StemcellImage> image = DescribeComplete(host, cid)) return std::move(*image);

  std::vector<std::string> asked;
  bool unanswered = false;
  std::optional<Source> source = FindSource(host, cid, open, asked, unanswered);
  // A base volume without its sidecar, found under the copy lock, is what a copy or an import
  // cut short left; one that VMs already use (a stemcell without sidecar) is kept as it is.
  std::optional<StemcellImage> partial = DescribeStemcell(host, cid);
  if (partial && (!source || !DomainsUsingStemcell(host, cid).empty())) return std::move(*partial);
  if (!source) {
    std::string list;
    for (const std::string& a : asked) list += (list.empty() ? "" : ", ") + a;
    throw CloudError(not_found + (list.empty() ? "" : " nor on host(s) " + list), unanswered);
  }
  std::string step = "copying stemcell " + cid + " from host " + Quote(source->host->spec().name) +
                     " to host " + Quote(host.spec().name);
  try {
    if (partial) {
      spdlog::info("removing volume {} on host {}: a copy cut short left it", cid,
                   Quote(host.spec().name));
      host.Pool().DeleteVolume(cid);
    }
    spdlog::info("{} (its pool has none)", step);
    Copy(host, *source, cid);
  } catch (...) {
    host::RethrowWithStep(step);
  }
  std::optional<StemcellImage> image = DescribeComplete(host, cid);
  if (!image) throw CloudError(step + ": the copy is not in pool " + Quote(host.pool_name()));
  return std::move(*image);
}

}  // namespace cpi::stemcell
