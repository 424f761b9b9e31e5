// bosh-libvirt-cpi-diagnose (tools/diagnose) against a real VM of the bootable test stemcell,
// created through the real executable in a private world. One libguestfs appliance launch
// (15-25 s under TCG) serves every check of the inspection.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/virt/domain.h"
#include "bosh_libvirt_cpi/virt/storage.h"
#include "support/cpi_request.h"
#include "support/libvirt_world.h"
#include "support/process.h"
#include "support/test_stemcell.h"

namespace cpi::testing {
namespace {

using nlohmann::json;

constexpr const char* kDiagnose = CPI_BINARY_DIR "/bosh-libvirt-cpi-diagnose";
constexpr const char* kSecret = "DIAG-SECRET-MARKER";

json Ok(const json& response) {
  EXPECT_TRUE(response.contains("error") && response["error"].is_null()) << response.dump();
  return response.value("result", json());
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class LibvirtDiagnoseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(LibvirtAvailable()) << "libvirtd is not running; run scripts/setup.sh";
  }
};

TEST_F(LibvirtDiagnoseTest, ReportsStateFilesystemsAndMissingAgentFilesWithoutLeakingSecrets) {
  LibvirtWorld world("diag");
  const std::string cfg = world.config_path();
  std::string stemcell = Ok(CallCpi(cfg, "create_stemcell",
                                    {TestStemcellDir() + "/image-qcow2",
                                     {{"name", "bosh-openstack-kvm-tiny"},
                                      {"version", "0.0.1"},
                                      {"disk_format", "qcow2"},
                                      {"disk", 64}}}));
  ASSERT_EQ(stemcell.rfind("sc-", 0), 0u);
  json networks = {{"default",
                    {{"type", "manual"},
                     {"ip", world.subnet_prefix() + ".10"},
                     {"netmask", "255.255.255.0"},
                     {"gateway", world.subnet_prefix() + ".1"},
                     {"default", {"dns", "gateway"}},
                     {"cloud_properties", {{"network", world.network()}}}}}};
  json env = {
      {"bosh",
       {{"password", "$6$salt$DIAG-PASSWORD-HASH"},
        {"mbus", {{"cert", {{"ca", "CA"}, {"certificate", "CERT"}, {"private_key", kSecret}}}}}}}};
  json created = Ok(CallCpi(cfg, "create_vm",
                            {"agent-diag",
                             stemcell,
                             {{"cpu", 1}, {"memory", 128}, {"ephemeral_disk", {{"size", 16}}}},
                             networks,
                             json::array(),
                             env}));
  ASSERT_TRUE(created.is_array()) << created.dump();
  const std::string vm = created[0];

  // The root overlay's bytes, to prove the inspection wrote nothing (the test stemcell's guest
  // runs from its initramfs and never writes to its root disk).
  auto pool = world.conn().FindStoragePool(world.pool());
  ASSERT_TRUE(pool);
  auto root = world.conn().FindVolume(pool->get(), vm + "-root");
  ASSERT_TRUE(root);
  const std::string root_path = virt::VolumePath(root->get(), vm + "-root");
  const std::string root_before = ReadWholeFile(root_path);

  ProcessResult p = RunProcess({kDiagnose, "--config", cfg, vm}, "");
  SCOPED_TRACE("stdout:\n" + p.out + "\nstderr:\n" + p.err);
  EXPECT_EQ(p.exit_code, 0);

  // The VM and its state.
  EXPECT_NE(p.out.find("VM " + vm + "\n"), std::string::npos);
  EXPECT_NE(p.out.find("domain state: running"), std::string::npos);
  EXPECT_NE(p.out.find("console log:  " + world.console_dir() + "/" + vm + ".console.log"),
            std::string::npos);
  EXPECT_NE(p.out.find("== serial console log =="), std::string::npos);
  // Both disks went in; the stemcell's FAT partition was found and mounted, the blank ephemeral
  // disk was listed but not mounted.
  EXPECT_NE(p.out.find("root:      " + vm + "-root " + root_path + " (qcow2)"), std::string::npos);
  EXPECT_NE(p.out.find("ephemeral: " + vm + "-ephemeral "), std::string::npos);
  EXPECT_NE(p.out.find("/dev/sda1  vfat  on " + vm + "-root  (mounted read-only; none of the"),
            std::string::npos);
  EXPECT_NE(p.out.find("/dev/sdb  unknown  on " + vm + "-ephemeral  (not mounted)"),
            std::string::npos);
  // The test stemcell has no BOSH agent: every file is reported missing, and that is no failure.
  EXPECT_NE(p.out.find("== BOSH agent log (/var/vcap/bosh/log/current) ==\n"
                       "not found on any filesystem\n"),
            std::string::npos);
  EXPECT_NE(p.out.find("== agent settings (/var/vcap/bosh/settings.json) ==\n"
                       "not found on any filesystem\n"),
            std::string::npos);
  EXPECT_NE(p.out.find("found 0 of 4 files; not found: /var/vcap/bosh/log/current"),
            std::string::npos);
  // create_vm's env never shows up (the config drive is not inspected; this guards leaks).
  for (const std::string& text : {p.out, p.err}) {
    EXPECT_EQ(text.find(kSecret), std::string::npos);
    EXPECT_EQ(text.find("DIAG-PASSWORD-HASH"), std::string::npos);
  }

  // Read-only: the VM still runs and its root disk is byte for byte what it was.
  std::optional<virt::DomainPtr> dom = world.conn().FindDomain(vm);
  ASSERT_TRUE(dom);
  EXPECT_TRUE(virt::DomainActive(dom->get(), vm));
  EXPECT_TRUE(ReadWholeFile(root_path) == root_before) << "the root volume changed";

  Ok(CallCpi(cfg, "delete_vm", {vm}));
  Ok(CallCpi(cfg, "delete_stemcell", {stemcell}));
}

TEST_F(LibvirtDiagnoseTest, MissingVmIsAnErrorNamingIt) {
  LibvirtWorld world("diagmiss");
  const std::string vm = "vm-00000000-0000-4000-8000-00000000d1a9";
  ProcessResult p = RunProcess({kDiagnose, "--config", world.config_path(), vm}, "");
  EXPECT_EQ(p.exit_code, 1) << p.out << p.err;
  EXPECT_NE(p.err.find("Finding VM '" + vm + "' on 'qemu:///system': no such domain"),
            std::string::npos)
      << p.err;
  // One line.
  EXPECT_EQ(p.err.find('\n'), p.err.size() - 1) << p.err;
}

TEST_F(LibvirtDiagnoseTest, BadUsageExitsTwo) {
  ProcessResult p = RunProcess({kDiagnose, "--max-bytes", "lots", "vm-x"}, "");
  EXPECT_EQ(p.exit_code, 2);
  EXPECT_NE(p.err.find("--max-bytes must be a number"), std::string::npos) << p.err;
  ProcessResult help = RunProcess({kDiagnose, "--help"}, "");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Usage: bosh-libvirt-cpi-diagnose"), std::string::npos);
}

}  // namespace
}  // namespace cpi::testing
