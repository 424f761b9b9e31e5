// The `cleanup` command's core half: the output lines (cpi::RunCleanup in cpi.cc loads the
// configuration and the hypervisor module, which does the work: cleanup.cc). Linked into the
// executable; no libvirt here.
#include <cstdio>

#include "bosh_libvirt_cpi/cleanup/cleanup.h"
#include "bosh_libvirt_cpi/errors.h"

namespace cpi::cleanup {

std::string FormatAge(std::optional<int64_t> seconds) {
  if (!seconds) return "unknown";
  int64_t s = *seconds < 0 ? 0 : *seconds;
  char buf[64];
  if (s < 60) {
    std::snprintf(buf, sizeof(buf), "%llds", static_cast<long long>(s));
  } else if (s < 3600) {
    std::snprintf(buf, sizeof(buf), "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else if (s < 86400) {
    std::snprintf(buf, sizeof(buf), "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  } else {
    std::snprintf(buf, sizeof(buf), "%lldd%02lldh", static_cast<long long>(s / 86400),
                  static_cast<long long>(s % 86400 / 3600));
  }
  return buf;
}

std::string Describe(const Finding& finding, bool dry_run) {
  std::string verb;
  std::string note;
  switch (finding.verdict) {
    case Verdict::kRemove:
      if (!finding.error.empty()) {
        verb = "FAILED";
        note = "; deleting it failed: " + finding.error;
      } else {
        verb = dry_run ? "would remove" : (finding.removed ? "removed" : "gone already");
      }
      break;
    case Verdict::kTooYoung:
      verb = "kept";
      note = "; younger than the minimum age (--min-age)";
      break;
    case Verdict::kInUse:
      verb = "kept";
      break;
    case Verdict::kSuspect:
      verb = "check";
      break;
  }
  return verb + " " + finding.volume + ": " + finding.what + "; " + finding.why + note + " (age " +
         FormatAge(finding.age_seconds) + ")";
}

}  // namespace cpi::cleanup
