#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The hypervisor objects the services work with: a connection, a storage pool, a volume and a
// domain, each owning its libvirt handle. Services see only these types (no libvirt header, no
// raw handle); src/hypervisor/virt/objects.cc implements them over libvirt, and the unit tests
// implement them with a recording fake (tests/support/fake_virt.h). Every operation throws
// virt::Error (virt/error.h) naming the step and the object; "not found" is a null pointer, never
// an error.
namespace cpi::virt {

enum class DomainState { kRunning, kPaused, kShutoff, kCrashed, kOther };

// Which definition of a domain a device change applies to (VIR_DOMAIN_AFFECT_*).
enum class Scope {
  kConfig,         // the persistent definition only (a stopped domain)
  kLive,           // the running domain only
  kLiveAndConfig,  // both at once (a running domain)
};

enum class DetachRequest {
  kSent,      // libvirt accepted the request (for kLive: the guest still has to release it)
  kNotFound,  // no such device in that definition
};

struct JobProgress {
  bool active = false;     // a job runs on the domain
  std::string operation;   // "backup", ... (empty when unknown)
  uint64_t processed = 0;  // bytes
  uint64_t total = 0;      // bytes
};

struct CompletedJob {
  bool known = false;      // libvirt still had statistics of a finished job
  bool succeeded = false;  // VIR_DOMAIN_JOB_COMPLETED (otherwise failed or cancelled)
  std::string operation;   // "backup", ...
  std::string error;       // libvirt's message for a failed job, when it gave one
  uint64_t processed = 0;  // bytes
};

struct VolumeInfo {
  uint64_t capacity = 0;    // bytes the guest sees
  uint64_t allocation = 0;  // bytes used on the host
};

// Produces the next chunk of an upload into `buf` (at most `size` bytes); returns the number of
// bytes written, 0 at the end. May throw; the upload is then aborted.
using ChunkSource = std::function<size_t(char* buf, size_t size)>;

// Takes the next piece of a volume's content, in order: `size` bytes at `data`, or, when `data` is
// null, a hole of `size` zero bytes the stream did not carry. May throw; the transfer is then
// aborted.
using ChunkSink = std::function<void(const char* data, uint64_t size)>;

// Writes a whole content, piece by piece, into the sink it is given (Volume::UploadFrom).
using ChunkWriter = std::function<void(const ChunkSink& sink)>;

// The space of a storage pool (virStoragePoolGetInfo), in bytes.
struct PoolSpace {
  uint64_t capacity = 0;    // the pool's size
  uint64_t allocation = 0;  // used by its volumes
  uint64_t available = 0;   // free for new volumes
};

struct VolumeDescription {
  std::string name;
  std::string xml;  // virStorageVolGetXMLDesc
};

struct DomainDescription {
  std::string name;
  std::string config_xml;  // the persistent definition (empty for a transient domain)
  std::string live_xml;    // the running domain's XML (empty when it does not run)
};

// One storage volume.
class Volume {
 public:
  virtual ~Volume() = default;
  virtual const std::string& name() const = 0;
  // The file (or device) path on the hypervisor.
  virtual std::string Path() const = 0;
  // The volume's XML description.
  virtual std::string Xml() const = 0;
  virtual VolumeInfo Info() const = 0;
  virtual void Resize(uint64_t capacity_bytes) = 0;
  // Replaces the content with the bytes `source` produces, through a libvirt stream (works for
  // remote daemons), and proves the upload by reading its last chunk back. With `sparse`, runs
  // of zero bytes are sent as holes.
  virtual void Upload(const ChunkSource& source, bool sparse) = 0;
  virtual void UploadBytes(std::string_view bytes) = 0;
  // The content through a stream; at most `max_bytes` (0 = all).
  virtual std::string Download(uint64_t max_bytes) const = 0;
  // The whole content through a stream into `sink`, one chunk (64 KiB) at a time: never all of it
  // in memory. With `sparse`, the holes of the volume's file arrive as holes (where the pool can
  // tell them; otherwise as zero bytes).
  virtual void DownloadTo(const ChunkSink& sink, bool sparse) const = 0;
  // Replaces the content with what `writer` passes to its sink, data and holes, through one
  // stream (holes are sent as holes); proves the upload by reading its last data back, as Upload.
  virtual void UploadFrom(const ChunkWriter& writer) = 0;
};

// The storage pool the CPI keeps its volumes in.
class Pool {
 public:
  virtual ~Pool() = default;
  virtual const std::string& name() const = 0;
  virtual bool Active() const = 0;
  // nullptr when the pool has no such volume.
  virtual std::unique_ptr<Volume> FindVolume(const std::string& name) = 0;
  virtual std::unique_ptr<Volume> CreateVolume(const std::string& xml, const std::string& name) = 0;
  // A full, independent copy of `source` as a new volume described by `xml`.
  virtual std::unique_ptr<Volume> CloneVolume(const std::string& xml, const Volume& source,
                                              const std::string& name) = 0;
  // Deletes the volume; returns false when it was already gone.
  virtual bool DeleteVolume(const std::string& name) = 0;
  // Picks up files libvirt has not seen.
  virtual void Refresh() = 0;
  // Every volume with its XML; volumes deleted while the list is read are left out.
  virtual std::vector<VolumeDescription> ListVolumes() = 0;
  // The pool's size, use and free space as libvirt last measured them (no refresh).
  virtual PoolSpace Space() const = 0;
};

// One domain (a VM).
class Domain {
 public:
  virtual ~Domain() = default;
  virtual const std::string& name() const = 0;
  virtual void Start() = 0;
  // Powers off at once; a domain that is not running counts as success.
  virtual void Destroy() = 0;
  // Removes the definition with managed save, NVRAM, snapshot and checkpoint metadata; "no such
  // domain" counts as success.
  virtual void Undefine() = 0;
  virtual void Reset() = 0;
  virtual void Resume() = 0;
  virtual DomainState State() const = 0;
  virtual bool Active() const = 0;
  // inactive=true: the persistent definition; false: the live one (when running).
  virtual std::string Xml(bool inactive) const = 0;
  // <metadata> element under namespace `uri` with prefix `key`; affects the live domain too when
  // it runs. An empty xml removes it.
  virtual void SetMetadata(const std::string& xml, const std::string& key,
                           const std::string& uri) = 0;
  // nullopt when the domain has no such metadata.
  virtual std::optional<std::string> Metadata(const std::string& uri) const = 0;
  virtual void SetTitle(const std::string& title) = 0;

  // Hot-plugs (or adds to the definition) one device; `what` names the step in errors.
  virtual void AttachDevice(const std::string& xml, Scope scope, const std::string& what) = 0;
  // Changes one device in place (e.g. a CD-ROM's media).
  virtual void UpdateDevice(const std::string& xml, Scope scope, const std::string& what) = 0;
  // Asks libvirt to remove the device with user alias `alias`. For kConfig the removal is done
  // when this returns; for kLive the guest must acknowledge it, so callers confirm by re-reading
  // the live XML.
  virtual DetachRequest DetachAlias(const std::string& alias, Scope scope,
                                    const std::string& what) = 0;
  // Like DetachAlias, for a device without a user alias, named by its XML.
  virtual DetachRequest DetachDevice(const std::string& xml, Scope scope,
                                     const std::string& what) = 0;

  // Starts a push-mode backup job writing into target files that already exist.
  virtual void BeginPushBackup(const std::string& backup_xml) = 0;
  virtual JobProgress Job() const = 0;
  // Statistics of the last finished job; libvirt forgets them once read.
  virtual CompletedJob LastCompletedJob() = 0;
  // Cancels the running job; a domain with no job counts as success.
  virtual void AbortJob() = 0;
};

// An open connection to one hypervisor.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual const std::string& uri() const = 0;
  // nullptr when no such object exists.
  virtual std::unique_ptr<Domain> FindDomain(const std::string& name) = 0;
  virtual std::unique_ptr<Domain> FindDomainByUuid(const std::string& uuid) = 0;
  virtual std::unique_ptr<Pool> FindPool(const std::string& name) = 0;
  virtual bool HasNetwork(const std::string& name) = 0;
  // The network's definition (XML), or nullopt when no such network exists.
  virtual std::optional<std::string> NetworkXml(const std::string& name) = 0;
  // Defines (does not start) a domain from `xml`, validated against libvirt's schema.
  virtual std::unique_ptr<Domain> DefineDomain(const std::string& xml, const std::string& name) = 0;
  // Every domain, defined or running, with its XML; domains that disappear meanwhile are left out.
  virtual std::vector<DomainDescription> ListDomains() = 0;
  // Every domain by name (one call), with its persistent definition only (a transient domain:
  // its live XML) in config_xml when `read(name)`: one more call per such domain. Domains that
  // cannot be read meanwhile are left out.
  virtual std::vector<DomainDescription> ListDomainDefinitions(
      const std::function<bool(const std::string& name)>& read) = 0;
  // Whether libvirt offers type='kvm' domains for x86_64 here.
  virtual bool OffersKvm() = 0;
  // The host capabilities XML.
  virtual std::string CapabilitiesXml() = 0;
  // Versions as "major.minor.micro": the libvirt of the daemon at the other end
  // (virConnectGetLibVersion), and the hypervisor's (virConnectGetVersion: QEMU's for qemu://).
  virtual std::string LibraryVersion() = 0;
  virtual std::string HypervisorVersion() = 0;
  // The host's free memory in bytes (virNodeGetFreeMemory), for placement.
  virtual uint64_t FreeMemoryBytes() = 0;
};

// How long connecting may take, and a call may go unanswered, when the caller does not say
// (the configuration's `timeout_seconds`, docs/CONTRACT.md).
inline constexpr int kDefaultTimeoutSeconds = 30;

// Connects to libvirt at `uri` (qemu:///system, qemu+ssh://..., test:///default) within
// `timeout_seconds`: a host that accepts the connection but never answers (or an ssh that
// stalls) fails with a transient virt::Error "... no answer in N s" instead of hanging. The
// connection then sends keepalive probes, so a later call that its peer stops answering fails
// transiently after about `timeout_seconds` too. Throws virt::Error.
std::unique_ptr<Connection> Connect(const std::string& uri,
                                    int timeout_seconds = kDefaultTimeoutSeconds);

// Copies `from`'s whole content into `to`, which may be on another connection (another host):
// one download stream feeding one upload stream, a chunk at a time, holes kept as holes. `to`
// must already exist with the capacity and format of `from`. Throws virt::Error.
void CopyVolume(const Volume& from, Volume& to);

}  // namespace cpi::virt
