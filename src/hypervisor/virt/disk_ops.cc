#include "bosh_libvirt_cpi/virt/disk_ops.h"

#include <libvirt/virterror.h>

#include <string_view>

#include "bosh_libvirt_cpi/virt/error.h"

namespace cpi::virt {
namespace {

unsigned int Flags(Scope scope) {
  switch (scope) {
    case Scope::kConfig:
      return VIR_DOMAIN_AFFECT_CONFIG;
    case Scope::kLive:
      return VIR_DOMAIN_AFFECT_LIVE;
    case Scope::kLiveAndConfig:
      break;
  }
  return VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG;
}

// libvirt names a missing device in several ways depending on the path taken: DEVICE_MISSING,
// or an internal/operation error "no device found with alias ..." / "disk vdc not found".
bool LastErrorIsMissingDevice() {
  virErrorPtr e = virGetLastError();
  if (e == nullptr) return false;
  if (e->code == VIR_ERR_DEVICE_MISSING) return true;
  if (e->code != VIR_ERR_INTERNAL_ERROR && e->code != VIR_ERR_OPERATION_FAILED) return false;
  std::string_view message = e->message != nullptr ? e->message : "";
  return message.find("no device found") != std::string_view::npos ||
         message.find("not found") != std::string_view::npos;
}

uint64_t ULongParam(virTypedParameterPtr params, int n, const char* name) {
  unsigned long long value = 0;
  if (virTypedParamsGetULLong(params, n, name, &value) == 1) return value;
  return 0;
}

std::string OperationName(virTypedParameterPtr params, int n) {
  int op = 0;
  if (virTypedParamsGetInt(params, n, VIR_DOMAIN_JOB_OPERATION, &op) != 1) return "";
  switch (op) {
    case VIR_DOMAIN_JOB_OPERATION_BACKUP:
      return "backup";
    case VIR_DOMAIN_JOB_OPERATION_SNAPSHOT:
      return "snapshot";
    case VIR_DOMAIN_JOB_OPERATION_MIGRATION_OUT:
      return "migration";
    case VIR_DOMAIN_JOB_OPERATION_SAVE:
      return "save";
    case VIR_DOMAIN_JOB_OPERATION_DUMP:
      return "dump";
    default:
      return "operation " + std::to_string(op);
  }
}

// Bytes done/total of a job: backup jobs report disk_*, others data_*.
void ReadAmounts(virTypedParameterPtr params, int n, uint64_t* processed, uint64_t* total) {
  *processed = ULongParam(params, n, VIR_DOMAIN_JOB_DISK_PROCESSED);
  *total = ULongParam(params, n, VIR_DOMAIN_JOB_DISK_TOTAL);
  if (*total == 0) {
    *processed = ULongParam(params, n, VIR_DOMAIN_JOB_DATA_PROCESSED);
    *total = ULongParam(params, n, VIR_DOMAIN_JOB_DATA_TOTAL);
  }
}

struct TypedParams {
  virTypedParameterPtr params = nullptr;
  int n = 0;
  ~TypedParams() { virTypedParamsFree(params, n); }
};

}  // namespace

void AttachDeviceIn(virDomainPtr dom, const std::string& xml, Scope scope,
                    const std::string& what) {
  if (virDomainAttachDeviceFlags(dom, xml.c_str(), Flags(scope)) < 0) throw Error::Last(what);
}

void UpdateDeviceIn(virDomainPtr dom, const std::string& xml, Scope scope,
                    const std::string& what) {
  if (virDomainUpdateDeviceFlags(dom, xml.c_str(), Flags(scope)) < 0) throw Error::Last(what);
}

DetachRequest DetachAliasIn(virDomainPtr dom, const std::string& alias, Scope scope,
                            const std::string& what) {
  if (virDomainDetachDeviceAlias(dom, alias.c_str(), Flags(scope)) == 0) {
    return DetachRequest::kSent;
  }
  if (LastErrorIsMissingDevice()) {
    virResetLastError();
    return DetachRequest::kNotFound;
  }
  throw Error::Last(what);
}

DetachRequest DetachDeviceIn(virDomainPtr dom, const std::string& xml, Scope scope,
                             const std::string& what) {
  if (virDomainDetachDeviceFlags(dom, xml.c_str(), Flags(scope)) == 0) {
    return DetachRequest::kSent;
  }
  if (LastErrorIsMissingDevice()) {
    virResetLastError();
    return DetachRequest::kNotFound;
  }
  throw Error::Last(what);
}

StorageVolPtr CloneVolume(virStoragePoolPtr pool, const std::string& xml, virStorageVolPtr source,
                          const std::string& name) {
  virStorageVolPtr vol = virStorageVolCreateXMLFrom(pool, xml.c_str(), source, 0);
  if (vol == nullptr) throw Error::Last("copying into volume '" + name + "'");
  return StorageVolPtr(vol);
}

void BeginPushBackup(virDomainPtr dom, const std::string& backup_xml, const std::string& name) {
  if (virDomainBackupBegin(dom, backup_xml.c_str(), nullptr,
                           VIR_DOMAIN_BACKUP_BEGIN_REUSE_EXTERNAL) < 0) {
    throw Error::Last("starting backup job of domain '" + name + "'");
  }
}

JobProgress GetJobProgress(virDomainPtr dom, const std::string& name) {
  TypedParams p;
  int type = VIR_DOMAIN_JOB_NONE;
  if (virDomainGetJobStats(dom, &type, &p.params, &p.n, 0) < 0) {
    throw Error::Last("reading job of domain '" + name + "'");
  }
  JobProgress progress;
  progress.active = type == VIR_DOMAIN_JOB_BOUNDED || type == VIR_DOMAIN_JOB_UNBOUNDED;
  if (progress.active) {
    progress.operation = OperationName(p.params, p.n);
    ReadAmounts(p.params, p.n, &progress.processed, &progress.total);
  }
  return progress;
}

CompletedJob GetCompletedJob(virDomainPtr dom, const std::string& name) {
  TypedParams p;
  int type = VIR_DOMAIN_JOB_NONE;
  if (virDomainGetJobStats(dom, &type, &p.params, &p.n, VIR_DOMAIN_JOB_STATS_COMPLETED) < 0) {
    throw Error::Last("reading finished job of domain '" + name + "'");
  }
  CompletedJob job;
  job.known = type == VIR_DOMAIN_JOB_COMPLETED || type == VIR_DOMAIN_JOB_FAILED ||
              type == VIR_DOMAIN_JOB_CANCELLED;
  job.succeeded = type == VIR_DOMAIN_JOB_COMPLETED;
  if (job.known) {
    job.operation = OperationName(p.params, p.n);
    const char* message = nullptr;
    if (virTypedParamsGetString(p.params, p.n, VIR_DOMAIN_JOB_ERRMSG, &message) == 1 &&
        message != nullptr) {
      job.error = message;
    }
    uint64_t total = 0;
    ReadAmounts(p.params, p.n, &job.processed, &total);
    if (type == VIR_DOMAIN_JOB_CANCELLED && job.error.empty()) job.error = "the job was cancelled";
  }
  return job;
}

void AbortJob(virDomainPtr dom, const std::string& name) {
  if (virDomainAbortJob(dom) == 0) return;
  if (TakeLastErrorIf(VIR_ERR_OPERATION_INVALID)) return;  // no job is running
  throw Error::Last("cancelling job of domain '" + name + "'");
}

}  // namespace cpi::virt
