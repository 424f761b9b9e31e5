// Issue 18, operator view: `bosh-libvirt-cpi hosts --config cpi.json --json` lists every host
// (name, key, az, reachable or the error, ...), also when one of them is down, and does not hang
// on it.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>

#include "multihost/multihost_support.h"
#include "support/process.h"

namespace cpi::testing::multihost {
namespace {

// The entry of `report` (an array of hosts, or an object holding one) whose name is `name`.
json Entry(const json& report, const std::string& name) {
  if (report.is_array()) {
    for (const json& e : report) {
      if (e.is_object() && e.value("name", "") == name) return e;
    }
  }
  if (report.is_object()) {
    for (const auto& [key, value] : report.items()) {
      if (value.is_array() || value.is_object()) {
        json found = Entry(value, name);
        if (!found.is_null()) return found;
      }
    }
  }
  return nullptr;
}

class MultihostHostsCommandTest : public MultihostTest {
 protected:
  json Report(std::chrono::milliseconds* elapsed) {
    Clock::time_point start = Clock::now();
    ProcessResult r = RunProcess({"/usr/bin/timeout", "-s", "KILL", "20", CPI_EXECUTABLE, "hosts",
                                  "--config", hosts().config(), "--json"},
                                 "");
    *elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    EXPECT_NE(r.exit_code, 137) << "killed after 20 s";
    try {
      return json::parse(r.out);
    } catch (const json::exception&) {
      ADD_FAILURE() << "not JSON (exit " << r.exit_code << "): " << r.out << r.err;
      return nullptr;
    }
  }
};

TEST_F(MultihostHostsCommandTest, ListsEveryHostAndWhetherItAnswers) {
  std::chrono::milliseconds elapsed{0};
  json report = Report(&elapsed);
  json a = Entry(report, "kvm-a"), b = Entry(report, "kvm-b");
  ASSERT_TRUE(a.is_object()) << report.dump();
  ASSERT_TRUE(b.is_object()) << report.dump();
  EXPECT_EQ(a.value("key", ""), kKeyA) << a.dump();
  EXPECT_EQ(a.value("az", ""), "z1") << a.dump();
  EXPECT_EQ(b.value("az", ""), "z2") << b.dump();
  EXPECT_EQ(a.value("reachable", json()), true) << a.dump();
  EXPECT_EQ(b.value("reachable", json()), true) << b.dump();
  for (const json& host : {a, b}) {
    EXPECT_TRUE(host.value("libvirt_version", json()).is_string()) << host.dump();
    EXPECT_TRUE(host.value("hypervisor_version", json()).is_string()) << host.dump();
    EXPECT_GT(host.value("free_memory_mib", 0), 0) << host.dump();
    EXPECT_TRUE(host.value("vms", json()).is_number()) << host.dump();
  }

  hosts().daemon_b().Stop(SIGKILL);
  report = Report(&elapsed);
  hosts().daemon_b().Start();
  EXPECT_LE(elapsed, std::chrono::seconds(kTimeoutSeconds + 5));
  a = Entry(report, "kvm-a");
  b = Entry(report, "kvm-b");
  ASSERT_TRUE(b.is_object()) << report.dump();
  EXPECT_EQ(a.value("reachable", json()), true) << report.dump();
  EXPECT_NE(b.value("reachable", json()), true) << b.dump();
  EXPECT_TRUE(b.value("error", json()).is_string()) << "no reason given: " << b.dump();
}

}  // namespace
}  // namespace cpi::testing::multihost
