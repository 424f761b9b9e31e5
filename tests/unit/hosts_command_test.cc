// `bosh-libvirt-cpi hosts`: hosts::Inspect over fake hypervisors, and what the command prints.
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>

#include "bosh_libvirt_cpi/hosts/hosts.h"
#include "bosh_libvirt_cpi/hosts/inspect.h"
#include "bosh_libvirt_cpi/virt/error.h"
#include "support/fake_virt.h"

namespace cpi::testing {
namespace {

config::HostConfig Host(const std::string& name, const std::string& key, const std::string& az,
                        const std::string& uri) {
  config::HostConfig h;
  h.name = name;
  h.key = key;
  h.az = az;
  h.libvirt.uri = uri;
  h.libvirt.storage_pool = "fake-pool";
  return h;
}

TEST(HostsCommandTest, InspectsEveryHostAndReportsTheOneThatDoesNotAnswer) {
  config::Config config;
  config.multi_host = true;
  config.hosts = {Host("kvm-a", "gk", "z1", "fake:///a"),
                  Host("kvm-b", "gl", "z2", "qemu+ssh://bosh:pw@10.0.0.12/system")};
  FakeHypervisor a;
  a.free_memory = 5ull << 30;
  a.domains["vm-gk-0b6f0a3c-1d2e-8f40-9a1b-2c3d4e5f6a7b"];
  a.domains["vm-7db150f7-be39-4495-9331-e2ca402a2427"];
  a.domains["not-a-bosh-vm"];
  std::vector<hosts::Status> got = hosts::Inspect(config, [&](const config::Libvirt& settings) {
    if (settings.uri != "fake:///a") {
      throw virt::Error(
          "connecting to libvirt at 'qemu+ssh://bosh:***@10.0.0.12/system': no "
          "answer in 30 s",
          76, 7);
    }
    return FakeConnection(a);
  });

  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].name, "kvm-a");
  EXPECT_EQ(got[0].key, "gk");
  EXPECT_TRUE(got[0].reachable);
  EXPECT_EQ(got[0].error, "");
  EXPECT_EQ(got[0].free_memory_bytes, 5ull << 30);
  EXPECT_EQ(got[0].libvirt_version, "9.0.0");
  EXPECT_EQ(got[0].hypervisor_version, "7.2.0");
  EXPECT_EQ(got[0].pool_capacity_bytes, 100ull << 30);
  EXPECT_EQ(got[0].vms, 2) << "only domains named like VM CIDs count";
  EXPECT_FALSE(got[1].reachable);
  EXPECT_EQ(got[1].uri, "qemu+ssh://bosh:***@10.0.0.12/system");
  EXPECT_NE(got[1].error.find("no answer in 30 s"), std::string::npos);
  EXPECT_FALSE(got[1].free_memory_bytes.has_value());
}

TEST(HostsCommandTest, AReachableHostWithoutItsPoolStillShowsItsOtherFacts) {
  config::Config config;
  config.multi_host = true;
  config.hosts = {Host("kvm-a", "gk", "", "fake:///a")};
  config.hosts[0].libvirt.storage_pool = "missing";
  FakeHypervisor a;
  std::vector<hosts::Status> got =
      hosts::Inspect(config, [&](const config::Libvirt&) { return FakeConnection(a); });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].reachable);
  EXPECT_TRUE(got[0].free_memory_bytes.has_value());
  EXPECT_FALSE(got[0].pool_available_bytes.has_value());
  EXPECT_NE(got[0].error.find("'missing' not found"), std::string::npos) << got[0].error;
}

TEST(HostsCommandTest, PrintsOneLineAndOneJsonObjectPerHost) {
  hosts::Status up;
  up.name = "kvm-a";
  up.key = "gk";
  up.az = "z1";
  up.uri = "qemu:///system";
  up.pool = "bosh";
  up.reachable = true;
  up.libvirt_version = "9.0.0";
  up.hypervisor_version = "7.2.0";
  up.free_memory_bytes = 2048ull << 20;
  up.pool_capacity_bytes = 100ull << 30;
  up.pool_available_bytes = 25ull << 30;
  up.vms = 3;
  EXPECT_EQ(hosts::Describe(up),
            "kvm-a (key gk) az z1 qemu:///system: reachable, libvirt 9.0.0, hypervisor 7.2.0, "
            "free memory 2048 MiB, pool 'bosh' 25.0 GiB free of 100.0 GiB, 3 VM(s)");
  hosts::Status down;
  down.name = "kvm-b";
  down.uri = "qemu+tls://10.0.0.12/system";
  down.error = "no answer";
  EXPECT_EQ(hosts::Describe(down), "kvm-b qemu+tls://10.0.0.12/system: UNREACHABLE: no answer");

  nlohmann::json j = hosts::ToJson(up);
  EXPECT_EQ(j["free_memory_mib"], 2048);
  EXPECT_EQ(j["vms"], 3);
  EXPECT_EQ(j["reachable"], true);
  EXPECT_TRUE(j["error"].is_null());
  EXPECT_TRUE(hosts::ToJson(down)["vms"].is_null());
}

}  // namespace
}  // namespace cpi::testing
