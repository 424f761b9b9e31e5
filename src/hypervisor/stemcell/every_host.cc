// create_stemcell and delete_stemcell over every host of a multi-host config (docs/MULTIHOST.md,
// "Stemcells"); the lazy copy of create_vm is stemcell/copy.cc.
#include <spdlog/spdlog.h>

#include <exception>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/stemcell/hosts.h"
#include "bosh_libvirt_cpi/util/ids.h"
#include "bosh_libvirt_cpi/util/scoped_cleanup.h"

namespace cpi::stemcell {
namespace {

// One host's part of a call.
struct Outcome {
  const config::HostConfig* spec = nullptr;
  std::optional<host::Host> host;  // open, when this host imported the stemcell (for the undo)
  bool has = false;                // its pool holds the stemcell (imported, or seen after refresh)
  std::exception_ptr error;        // a cpi::Error naming the host
  bool transient = false;          // the failure may go away on a retry (the host did not answer)
};

// Runs `body`; a failure is kept in `out` as a cpi::Error with `step` on `out`'s host in front.
// Runs on the import threads, so nothing escapes it.
template <typename Body>
void Catching(const config::Config& config, Outcome& out, const std::string& step,
              Body&& body) noexcept {
  try {
    body();
  } catch (...) {
    out.transient = host::RetryMayHelp();
    try {
      host::RethrowWithStep(host::StepOn(config, *out.spec, step));
    } catch (...) {
      out.error = std::current_exception();
    }
  }
}

// The message of a failure Catching kept.
std::string Message(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown error";
  }
}

// The kept failure itself (Catching keeps only cpi::Error).
Error AsError(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    return e;
  } catch (...) {
    return CloudError(Message(error));
  }
}

// Throws one cpi::Error for the failed hosts of `outcomes`: the only failure as it is, or every
// failure's message joined, of the type of the first failure that was not transient (CloudError
// when all were), retryable when every failure is (a host that did not answer, a full pool).
// `also` is appended to the message (what could not be undone).
[[noreturn]] void ThrowFailures(const std::vector<Outcome>& outcomes, const std::string& also) {
  std::vector<const Outcome*> failed;
  for (const Outcome& o : outcomes) {
    if (o.error) failed.push_back(&o);
  }
  if (failed.size() == 1 && also.empty()) std::rethrow_exception(failed.front()->error);
  bool retry = true;
  std::optional<ErrorType> type;
  std::string message;
  for (const Outcome* o : failed) {
    Error e = AsError(o->error);
    message += (message.empty() ? "" : "; ") + std::string(e.what());
    retry = retry && e.ok_to_retry();
    if (!o->transient && !type) type = e.type();
  }
  if (failed.empty()) message = "no host holds it";
  throw Error(type.value_or(ErrorType::kCloudError), message + also, retry);
}

// Imports into the first host of `group` that answers (a group of one host, or the shared hosts,
// which are one storage), then refreshes the pool of the others of the group. One thread's work.
void ImportIntoGroup(const config::Config& config, const HostOpener& open,
                     const ImageOpener& open_image, const nlohmann::json& cloud_properties,
                     const std::string& cid, const std::vector<Outcome*>& group) noexcept {
  Outcome* importer = nullptr;
  for (Outcome* o : group) {
    Catching(config, *o, "importing stemcell " + cid, [&] {
      host::Host target = open(*o->spec);
      RootImage image = open_image();
      ImportStemcell(target, image, cloud_properties, cid);
      o->host.emplace(std::move(target));
      o->has = true;
    });
    if (o->has) {
      importer = o;
      break;
    }
    if (!o->transient) return;  // the call fails: the other shared hosts need not try
  }
  if (importer == nullptr) return;
  for (Outcome* o : group) {
    if (o == importer || o->error) continue;
    Catching(config, *o, "refreshing storage pool", [&] {
      host::Host other = open(*o->spec);
      other.Pool().Refresh();
      if (!FindStemcell(other, cid)) {
        throw CloudError("stemcell " + cid + " imported through host " +
                         Quote(importer->spec->name) + " is not in pool " +
                         Quote(other.pool_name()) +
                         " after a refresh: the hosts marked shared do not share that storage");
      }
      o->has = true;
    });
  }
}

}  // namespace

HostOpener OpenConfigured(const config::Config& config) {
  return [&config](const config::HostConfig& spec) { return host::Host::Open(config, spec); };
}

std::string ImportOnEveryHost(const config::Config& config, const HostOpener& open,
                              const ImageOpener& open_image,
                              const nlohmann::json& cloud_properties) {
  std::string cid = util::NewStemcellCid();
  std::vector<const config::HostConfig*> specs = config::AllHosts(config);
  std::vector<Outcome> outcomes(specs.size());
  // One group per host, but one for all shared hosts (one storage), in config order.
  std::vector<std::vector<Outcome*>> groups;
  std::vector<Outcome*>* shared = nullptr;
  for (size_t i = 0; i < specs.size(); ++i) {
    outcomes[i].spec = specs[i];
    if (!specs[i]->shared) {
      groups.push_back({&outcomes[i]});
    } else if (shared != nullptr) {
      shared->push_back(&outcomes[i]);
    } else {
      groups.push_back({&outcomes[i]});
      shared = &groups.back();
    }
  }
  spdlog::info("importing stemcell {} into {} host(s) in parallel", cid, groups.size());
  {
    std::vector<std::thread> threads;
    // Joined however this block ends: no thread outlives what it refers to.
    util::ScopedCleanup join;
    join.Add([&] {
      for (std::thread& t : threads) t.join();
    });
    for (const std::vector<Outcome*>& group : groups) {
      auto work = [&] { ImportIntoGroup(config, open, open_image, cloud_properties, cid, group); };
      try {
        threads.emplace_back(work);
      } catch (const std::system_error& e) {
        spdlog::warn("cannot start a thread ({}); importing on this one", e.what());
        work();
      }
    }
  }

  bool any = false, fails = false;
  for (const Outcome& o : outcomes) {
    any = any || o.has;
    fails = fails || (o.error && !o.transient);
  }
  if (any && !fails) {
    for (const Outcome& o : outcomes) {
      if (!o.error) continue;
      spdlog::warn("skipped: {}; its first create_vm copies the stemcell from another host",
                   Message(o.error));
    }
    return cid;
  }
  // The call fails: nothing of it may stay behind.
  std::string left;
  for (Outcome& o : outcomes) {
    if (!o.host) continue;
    try {
      DeleteStemcell(*o.host, cid);
    } catch (...) {
      std::string why = Message(std::current_exception());
      spdlog::warn("could not remove stemcell {} from host {}: {}", cid, Quote(o.spec->name), why);
      left += "; stemcell " + cid + " is left on host " + Quote(o.spec->name) + " (" + why + ")";
    }
  }
  ThrowFailures(outcomes, left);
}

void DeleteOnEveryHost(const config::Config& config, const HostOpener& open,
                       const std::string& cid) {
  std::vector<const config::HostConfig*> specs = config::AllHosts(config);
  std::vector<Outcome> outcomes(specs.size());
  // One thread per host: a host that does not answer costs its own timeout once, not in turn
  // with the others. The deletes themselves still take the stemcell's lock one after another.
  {
    std::vector<std::thread> threads;
    util::ScopedCleanup join;
    join.Add([&] {
      for (std::thread& t : threads) t.join();
    });
    for (size_t i = 0; i < specs.size(); ++i) {
      Outcome& o = outcomes[i];
      o.spec = specs[i];
      auto work = [&config, &open, &cid, &o] {
        Catching(config, o, "Deleting stemcell " + Quote(cid), [&] {
          host::Host host = open(*o.spec);
          if (DeleteStemcell(host, cid) == DeleteResult::kNotFound) {
            spdlog::info("stemcell {} does not exist on host {}; nothing to delete", cid,
                         Quote(o.spec->name));
          }
        });
      };
      try {
        threads.emplace_back(work);
      } catch (const std::system_error& e) {
        spdlog::warn("cannot start a thread ({}); deleting on this one", e.what());
        work();
      }
    }
  }
  for (const Outcome& o : outcomes) {
    if (o.error) ThrowFailures(outcomes, "");
  }
}

}  // namespace cpi::stemcell
