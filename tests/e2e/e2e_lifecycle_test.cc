// The whole lifecycle as the Director drives it — a new CPI process per call, the contract's
// request envelope — with the proof from inside the guest: the test stemcell's init plays the
// agent's side and reports on the serial console what it found.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/cpi_request.h"
#include "support/guest_console.h"
#include "support/libvirt_world.h"
#include "support/test_stemcell.h"

namespace cpi::testing {
namespace {

using nlohmann::json;
using std::chrono::seconds;

// Boots under TCG on 2 shared cores take 6-30 s depending on load.
constexpr seconds kBootTimeout{180};

json Ok(const json& response) {
  EXPECT_TRUE(response.contains("error") && response["error"].is_null()) << response.dump();
  return response.value("result", json());
}

class E2eLifecycleTest : public ::testing::TestWithParam<std::string> {};

TEST_P(E2eLifecycleTest, GuestBootsWithItsSettingsSurvivesRebootAndIsCleanedUp) {
  const std::string format = GetParam();
  LibvirtWorld world("e2e" + format.substr(0, 1));
  const std::string cfg = world.config_path();
  auto volumes_before = world.Volumes();

  // create_stemcell with the `image` file the Director extracts from the stemcell tarball.
  json stemcell_cp = {{"name", "bosh-openstack-kvm-tiny"}, {"version", "0.0.1"},
                      {"infrastructure", "openstack"},      {"hypervisor", "kvm"},
                      {"disk", 64},                         {"disk_format", format},
                      {"container_format", "bare"},         {"os_type", "linux"},
                      {"architecture", "x86_64"},           {"auto_disk_config", true}};
  std::string stemcell =
      Ok(CallCpi(cfg, "create_stemcell", {TestStemcellDir() + "/image-" + format, stemcell_cp}));
  ASSERT_EQ(stemcell.rfind("sc-", 0), 0u);

  std::string ip = world.subnet_prefix() + ".10";
  json networks = {{"default",
                    {{"type", "manual"},
                     {"ip", ip},
                     {"netmask", "255.255.255.0"},
                     {"gateway", world.subnet_prefix() + ".1"},
                     {"prefix", "32"},
                     {"dns", {world.subnet_prefix() + ".1"}},
                     {"default", {"dns", "gateway"}},
                     {"cloud_properties", {{"network", world.network()}}}}}};
  json env = {{"bosh",
               {{"password", "$6$4gDD3aV0rdqlrKC$2axHCxGKIObs6tAmMTqYCspcdvQXh3JJcvWOY2WGb4SrdXtnCyNaWlrf3WEqvYR2MYizEGp3kMmbpwBC6jsHt0"},
                {"mbus",
                 {{"cert",
                   {{"ca", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},
                    {"certificate", "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n"},
                    {"private_key", "-----BEGIN RSA PRIVATE KEY-----\nNATS-CLIENT-KEY\n-----END RSA PRIVATE KEY-----\n"}}}}},
                {"group", "director-dep-web"},
                {"groups", {"director", "dep", "web", "director-dep-web"}},
                {"tags", {{"team", "cpi"}}}}}};
  std::string agent_id = "4149ba0f-38d9-4485-476f-1581be36f290";
  std::string err;
  json created = Ok(CallCpi(cfg, "create_vm",
                            {agent_id, stemcell,
                             {{"cpu", 1}, {"memory", 128}, {"ephemeral_disk", {{"size", 32}}}},
                             networks, json::array(), env},
                            2, &err));
  ASSERT_TRUE(created.is_array());
  std::string vm = created[0];
  std::string mac = created[1]["default"]["mac"];
  EXPECT_EQ(err.find("NATS-CLIENT-KEY"), std::string::npos) << "secret in stderr";

  GuestConsole console(world.console_dir() + "/" + vm + ".console.log");
  std::optional<json> ready = console.WaitForEvent("ready", kBootTimeout);
  ASSERT_TRUE(ready) << "guest never reported ready; console:\n" << console.Tail();

  // What the guest found: the config drive by label, settings with the agent's strict types.
  std::optional<json> drive = console.WaitForEvent("config_drive", seconds(1));
  ASSERT_TRUE(drive);
  EXPECT_EQ((*drive)["label"], "config-2");
  std::optional<json> settings = console.WaitForEvent("settings", seconds(1));
  ASSERT_TRUE(settings);
  EXPECT_EQ((*settings)["valid"], true) << settings->dump();
  EXPECT_EQ((*settings)["agent_id"], agent_id);
  EXPECT_EQ((*settings)["vm_name"], vm);
  EXPECT_EQ((*settings)["networks"]["default"]["mac"], mac);
  EXPECT_EQ((*settings)["networks"]["default"]["ip"], ip);

  // The NIC whose MAC the settings name got the static IP.
  std::optional<json> net = console.WaitForEvent("network", seconds(1));
  ASSERT_TRUE(net);
  EXPECT_EQ((*net)["mac"], mac);
  EXPECT_EQ((*net)["mode"], "static");
  EXPECT_EQ((*net)["ip"], ip);

  // Root and ephemeral disks are visible with their serials.
  std::optional<json> disks = console.WaitForEvent("disks", seconds(1));
  ASSERT_TRUE(disks);
  std::vector<std::string> serials;
  for (const json& d : (*disks)["disks"]) serials.push_back(d.value("serial", ""));
  EXPECT_NE(std::find(serials.begin(), serials.end(), "root"), serials.end()) << disks->dump();
  std::string eph = (*settings)["disks"]["ephemeral"]["path"];
  EXPECT_NE(std::find(serials.begin(), serials.end(), eph.substr(eph.rfind("virtio-") + 7)),
            serials.end())
      << disks->dump();

  Ok(CallCpi(cfg, "set_vm_metadata",
             {vm,
              {{"director", "bosh-init"},
               {"deployment", "dep"},
               {"job", "web"},
               {"instance_group", "web"},
               {"index", "0"},
               {"name", "web/0"},
               {"created_at", "2026-11-28T10:00:00Z"}}}));

  // reboot_vm: a second boot is reported and the settings are still readable.
  size_t seen = console.Events().size();
  Ok(CallCpi(cfg, "reboot_vm", {vm}));
  std::optional<json> second_boot = console.WaitForEvent("boot", kBootTimeout, seen);
  ASSERT_TRUE(second_boot) << console.Tail();
  std::optional<json> second_settings =
      console.WaitForEvent("settings", kBootTimeout, seen);
  ASSERT_TRUE(second_settings) << console.Tail();
  EXPECT_EQ((*second_settings)["valid"], true);
  EXPECT_EQ((*second_settings)["agent_id"], agent_id);

  Ok(CallCpi(cfg, "delete_vm", {vm}));
  EXPECT_EQ(Ok(CallCpi(cfg, "has_vm", {vm})), false);
  Ok(CallCpi(cfg, "delete_stemcell", {stemcell}));
  EXPECT_EQ(world.Volumes(), volumes_before) << "volumes left behind";
  EXPECT_TRUE(world.DomainsNamed(vm).empty());
}

INSTANTIATE_TEST_SUITE_P(E2e, E2eLifecycleTest, ::testing::Values("qcow2", "raw"));

}  // namespace
}  // namespace cpi::testing
