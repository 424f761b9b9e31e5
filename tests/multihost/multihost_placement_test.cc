// Issue 18, placement: 8 create_vm at once with only an AZ that both hosts serve. Both daemons
// run on this machine, so both report the same free memory; only the reservations of the
// in-flight creates (spec: placement lock and reserve-<host>-<vm> files in lock_dir) can spread
// them. Each host must get at least 2 of the 8.
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <string>

#include "multihost/multihost_support.h"

namespace cpi::testing::multihost {
namespace {

class MultihostPlacementTest : public MultihostTest {};

TEST_F(MultihostPlacementTest, ParallelCreatesInOneAzSpreadOverBothHosts) {
  TwoHosts& h = hosts();
  std::string cfg =
      h.WriteConfig("one-az", {h.Host("kvm-a", h.sshd().Uri(), h.a(), "z1", kKeyA),
                               h.Host("kvm-b", h.daemon_b().tcp_uri(), h.b(), "z1", "kr")});
  std::string sc =
      Str(Ok(Call(cfg, "create_stemcell", {h.StemcellImage(), TwoHosts::StemcellProperties()})));
  ASSERT_FALSE(sc.empty());

  constexpr int kCreates = 8;
  std::vector<json> arguments;
  for (int i = 0; i < kCreates; ++i) {
    arguments.push_back(VmArguments(sc, {{"az", "z1"}}, "10.9.1." + std::to_string(20 + i)));
  }
  std::vector<json> answers = CallConcurrently(cfg, "create_vm", arguments);
  std::map<std::string, std::vector<std::string>> by_key;
  std::vector<std::string> vms;
  for (const json& r : answers) {
    json result = Ok(r);
    if (!result.is_array() || result.empty()) continue;
    std::string vm = result[0];
    vms.push_back(vm);
    by_key[CidKey(vm)].push_back(vm);
  }
  EXPECT_EQ(vms.size(), static_cast<size_t>(kCreates));
  std::cout << "placement of " << kCreates << " parallel creates: kvm-a " << by_key[kKeyA].size()
            << ", kvm-b " << by_key["kr"].size() << "\n";
  EXPECT_GE(by_key[kKeyA].size(), 2u) << "kvm-a got fewer than 2 of " << kCreates;
  EXPECT_GE(by_key["kr"].size(), 2u) << "kvm-b got fewer than 2 of " << kCreates;
  EXPECT_EQ(by_key[kKeyA].size() + by_key["kr"].size(), vms.size()) << "a CID of neither host";
  for (const std::string& vm : by_key[kKeyA]) EXPECT_TRUE(HasDomain(h.a(), vm)) << vm;
  for (const std::string& vm : by_key["kr"]) EXPECT_TRUE(HasDomain(h.b(), vm)) << vm;

  std::vector<json> deletes;
  for (const std::string& vm : vms) deletes.push_back({vm});
  for (const json& r : CallConcurrently(cfg, "delete_vm", deletes)) Ok(r);
  for (const std::string& vm : vms) {
    EXPECT_FALSE(HasDomain(h.a(), vm) || HasDomain(h.b(), vm)) << vm << " left behind";
  }
  Ok(Call(cfg, "delete_stemcell", {sc}));
}

}  // namespace
}  // namespace cpi::testing::multihost
