// create_vm, delete_vm, has_vm, reboot_vm, set_vm_metadata through the real executable against
// the real libvirtd; every check reads libvirt's own state.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/virt/domain.h"
#include "bosh_libvirt_cpi/virt/storage.h"
#include "bosh_libvirt_cpi/vm/domain_spec.h"
#include "bosh_libvirt_cpi/xml/document.h"
#include "support/cpi_request.h"
#include "support/fake_stemcell.h"
#include "support/libvirt_world.h"

namespace cpi::testing {
namespace {

using nlohmann::json;

class LibvirtVmTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    world_ = new LibvirtWorld("vm");
    stemcell_ = AddFakeStemcell(*world_);
  }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }

  json Networks(const std::string& ip_suffix = "10") {
    return {{"default",
             {{"type", "manual"},
              {"ip", world_->subnet_prefix() + "." + ip_suffix},
              {"netmask", "255.255.255.0"},
              {"gateway", world_->subnet_prefix() + ".1"},
              {"prefix", "32"},
              {"dns", {world_->subnet_prefix() + ".1"}},
              {"default", {"dns", "gateway"}},
              {"cloud_properties", {{"network", world_->network()}}}}}};
  }

  json Env() {
    return {{"bosh",
             {{"password", "$6$salt$hash"},
              {"mbus",
               {{"cert",
                 {{"ca", "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----"},
                  {"certificate", "CERT"},
                  {"private_key", "SECRET-PRIVATE-KEY-MATERIAL"}}}}},
              {"group", "dir-dep-web"},
              {"groups", {"dir", "dep", "web"}}}}};
  }

  json CreateVm(const json& cloud_properties, int api_version = 2, std::string* err = nullptr) {
    return CallCpi(world_->config_path(), "create_vm",
                   {"agent-" + std::to_string(getpid()), stemcell_, cloud_properties, Networks(),
                    json::array(), Env()},
                   api_version, err);
  }

  std::string DomainXml(const std::string& cid, bool inactive = false) {
    std::optional<virt::DomainPtr> dom = world_->conn().FindDomain(cid);
    if (!dom) return "";
    return virt::DomainXml(dom->get(), cid, inactive);
  }

  std::string VolumeXml(const std::string& name) {
    auto pool = world_->conn().FindStoragePool(world_->pool());
    auto vol = world_->conn().FindVolume(pool->get(), name);
    return vol ? virt::VolumeXml(vol->get(), name) : "";
  }

  std::string Download(const std::string& name) {
    auto pool = world_->conn().FindStoragePool(world_->pool());
    auto vol = world_->conn().FindVolume(pool->get(), name);
    return virt::DownloadVolume(world_->conn().get(), vol->get(), name);
  }

  static LibvirtWorld* world_;
  static std::string stemcell_;
};

LibvirtWorld* LibvirtVmTest::world_ = nullptr;
std::string LibvirtVmTest::stemcell_;

std::string Shell(const std::string& cmd) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p.get())) > 0) out.append(buf, n);
  return out;
}

TEST_F(LibvirtVmTest, CreateVmBuildsOverlayConfigDriveAndMatchingMacs) {
  std::string err;
  json r = CreateVm({{"cpu", 1}, {"memory", 128}, {"ephemeral_disk", {{"size", 64}}}}, 2, &err);
  ASSERT_TRUE(r["error"].is_null()) << r.dump();
  ASSERT_TRUE(r["result"].is_array());
  std::string cid = r["result"][0];
  json used_networks = r["result"][1];
  EXPECT_EQ(cid.rfind("vm-", 0), 0u);
  std::string mac = used_networks["default"]["mac"];
  EXPECT_EQ(mac.rfind("52:54:00:", 0), 0u);
  EXPECT_EQ(used_networks["default"]["use_dhcp"], false);

  // Secrets from env never reach stderr.
  EXPECT_EQ(err.find("SECRET-PRIVATE-KEY-MATERIAL"), std::string::npos);
  EXPECT_EQ(err.find("$6$salt$hash"), std::string::npos);

  // The domain runs, is TCG, and its NIC has the MAC the settings name.
  std::optional<virt::DomainPtr> dom = world_->conn().FindDomain(cid);
  ASSERT_TRUE(dom);
  EXPECT_TRUE(virt::DomainActive(dom->get(), cid));
  xml::Document domain = xml::Document::Parse(DomainXml(cid), "domain");
  EXPECT_EQ(domain.String("/domain/@type"), "qemu");
  EXPECT_EQ(domain.Strings("/domain/devices/interface/mac/@address"),
            std::vector<std::string>{mac});
  EXPECT_EQ(domain.String("/domain/devices/interface/source/@network"), world_->network());
  EXPECT_EQ(domain.String("/domain/devices/disk[target/@dev='vdb']/serial"),
            "eph-" + cid.substr(3, 8) + cid.substr(12, 4) + cid.substr(17, 4));
  EXPECT_EQ(domain.String("/domain/devices/disk[@device='cdrom']/readonly") , "");
  EXPECT_EQ(domain.Number("count(/domain/devices/disk[@device='cdrom']/readonly)"), 1);
  EXPECT_EQ(domain.String("/domain/devices/serial/log/@file"),
            world_->console_dir() + "/" + cid + ".console.log");

  // Root volume: a qcow2 overlay whose backing store is the stemcell volume.
  xml::Document root = xml::Document::Parse(VolumeXml(cid + "-root"), "root volume");
  xml::Document base = xml::Document::Parse(VolumeXml(stemcell_), "stemcell volume");
  EXPECT_EQ(root.String("/volume/target/format/@type"), "qcow2");
  EXPECT_EQ(root.String("/volume/backingStore/path"), base.String("/volume/target/path"));
  xml::Document eph = xml::Document::Parse(VolumeXml(cid + "-ephemeral"), "ephemeral");
  EXPECT_EQ(eph.String("/volume/capacity"), std::to_string(64ull << 20));

  // Config drive: ISO9660 labelled config-2 with the two files; user-data has the agent's types.
  std::string iso_path = "/tmp/" + cid + ".iso";
  std::ofstream(iso_path, std::ios::binary) << Download(cid + "-config");
  std::string info = Shell("isoinfo -d -i " + iso_path);
  EXPECT_NE(info.find("Volume id: config-2"), std::string::npos) << info;
  std::string meta = Shell("isoinfo -R -x /ec2/latest/meta-data.json -i " + iso_path);
  std::string user = Shell("isoinfo -R -x /ec2/latest/user-data -i " + iso_path);
  unlink(iso_path.c_str());
  json meta_data = json::parse(meta);
  EXPECT_EQ(meta_data["instance-id"], cid);
  json settings = json::parse(user);
  EXPECT_TRUE(settings["agent_id"].is_string());
  EXPECT_EQ(settings["vm"]["name"], cid);
  EXPECT_TRUE(settings["mbus"].is_string());
  EXPECT_TRUE(settings["ntp"].is_array());
  EXPECT_TRUE(settings["ntp"][0].is_string());
  json net = settings["networks"]["default"];
  EXPECT_EQ(net["mac"], mac);
  EXPECT_TRUE(net["prefix"].is_string());
  EXPECT_EQ(net["use_dhcp"], false);
  EXPECT_TRUE(net["dns"][0].is_string());
  EXPECT_TRUE(settings["disks"]["system"].is_string());
  EXPECT_TRUE(settings["disks"]["ephemeral"]["path"].is_string());
  EXPECT_TRUE(settings["disks"]["persistent"].is_object());
  EXPECT_EQ(settings["env"], Env());

  // has_vm, reboot (hard reset while running), delete twice.
  EXPECT_EQ(CallCpi(world_->config_path(), "has_vm", {cid})["result"], true);
  EXPECT_TRUE(CallCpi(world_->config_path(), "reboot_vm", {cid})["error"].is_null());
  EXPECT_TRUE(world_->conn().FindDomain(cid));
  EXPECT_TRUE(CallCpi(world_->config_path(), "delete_vm", {cid})["error"].is_null());
  EXPECT_FALSE(world_->conn().FindDomain(cid));
  for (const std::string& v : world_->Volumes()) EXPECT_EQ(v.find(cid), std::string::npos) << v;
  EXPECT_TRUE(CallCpi(world_->config_path(), "delete_vm", {cid})["error"].is_null());
  EXPECT_EQ(CallCpi(world_->config_path(), "has_vm", {cid})["result"], false);
}

TEST_F(LibvirtVmTest, ApiV1ReturnsBareCid) {
  json r = CreateVm({{"memory", 128}}, 1);
  ASSERT_TRUE(r["result"].is_string()) << r.dump();
  std::string cid = r["result"];
  EXPECT_TRUE(world_->conn().FindDomain(cid));
  CallCpi(world_->config_path(), "delete_vm", {cid});
}

TEST_F(LibvirtVmTest, RootDiskGrowsToRequestedSize) {
  json r = CreateVm({{"memory", 128}, {"root_disk", {{"size", 256}}}});
  ASSERT_TRUE(r["error"].is_null()) << r.dump();
  std::string cid = r["result"][0];
  xml::Document root = xml::Document::Parse(VolumeXml(cid + "-root"), "root");
  EXPECT_EQ(root.String("/volume/capacity"), std::to_string(256ull << 20));
  CallCpi(world_->config_path(), "delete_vm", {cid});
}

TEST_F(LibvirtVmTest, RebootStartsAStoppedVm) {
  json r = CreateVm({{"memory", 128}});
  std::string cid = r["result"][0];
  auto dom = world_->conn().FindDomain(cid);
  virt::DestroyDomain(dom->get(), cid);
  EXPECT_FALSE(virt::DomainActive(dom->get(), cid));
  EXPECT_EQ(CallCpi(world_->config_path(), "has_vm", {cid})["result"], true);
  EXPECT_TRUE(CallCpi(world_->config_path(), "reboot_vm", {cid})["error"].is_null());
  EXPECT_TRUE(virt::DomainActive(dom->get(), cid));
  // The config drive is still attached after the reboot.
  xml::Document domain = xml::Document::Parse(DomainXml(cid), "domain");
  EXPECT_EQ(domain.Number("count(/domain/devices/disk[@device='cdrom'])"), 1);
  CallCpi(world_->config_path(), "delete_vm", {cid});
}

TEST_F(LibvirtVmTest, MetadataWithHostileCharactersRoundTrips) {
  json r = CreateVm({{"memory", 128}});
  std::string cid = r["result"][0];
  json metadata = {{"director", "d<i>r & \"co\" 'x'"},
                   {"deployment", "dep]]>"},
                   {"job", "web"},
                   {"index", "0"},
                   {"name", "web/abc<&>"},
                   {"key with <angle>&amp;", "]]><!-- -->"}};
  json resp = CallCpi(world_->config_path(), "set_vm_metadata", {cid, metadata});
  ASSERT_TRUE(resp["error"].is_null()) << resp.dump();
  auto dom = world_->conn().FindDomain(cid);
  std::optional<std::string> stored =
      virt::GetDomainMetadata(dom->get(), vm::kBoshMetadataNamespace, cid);
  ASSERT_TRUE(stored);
  xml::Document doc = xml::Document::Parse(*stored, "metadata");
  for (auto it = metadata.begin(); it != metadata.end(); ++it) {
    std::vector<std::string> values =
        doc.Strings("/*/*[@key=" + std::string(it.key().find('"') == std::string::npos ? "\"" + it.key() + "\"" : "'" + it.key() + "'") + "]");
    ASSERT_EQ(values.size(), 1u) << it.key();
    EXPECT_EQ(values[0], it.value().get<std::string>());
  }
  // The whole domain XML stays valid and keeps our own record.
  xml::Document domain = xml::Document::Parse(DomainXml(cid, true), "domain");
  EXPECT_EQ(domain.String("/domain/title"), "dep]]>: web/abc<&>");
  EXPECT_TRUE(virt::GetDomainMetadata(dom->get(), vm::kVmNamespace, cid));
  // Missing VM: VMNotFound-style error, nothing created.
  json missing = CallCpi(world_->config_path(), "set_vm_metadata",
                         {"vm-00000000-0000-4000-8000-000000000000", metadata});
  EXPECT_EQ(missing["error"]["type"], "Bosh::Clouds::VMNotFound");
  CallCpi(world_->config_path(), "delete_vm", {cid});
}

TEST_F(LibvirtVmTest, UnknownVmAnswersAsTheContractSays) {
  std::string unknown = "vm-00000000-0000-4000-8000-000000000000";
  EXPECT_EQ(CallCpi(world_->config_path(), "has_vm", {unknown})["result"], false);
  EXPECT_EQ(CallCpi(world_->config_path(), "has_vm", {"not-a-cid"})["result"], false);
  EXPECT_TRUE(CallCpi(world_->config_path(), "delete_vm", {unknown})["error"].is_null());
  EXPECT_EQ(CallCpi(world_->config_path(), "reboot_vm", {unknown})["error"]["type"],
            "Bosh::Clouds::CloudError");
}

// A create_vm that fails at each step leaves no domain and no volume behind.
class LibvirtVmRollbackTest : public LibvirtVmTest {
 protected:
  void ExpectNothingLeft(const std::vector<std::string>& volumes_before) {
    EXPECT_EQ(world_->Volumes().size(), volumes_before.size());
    EXPECT_TRUE(world_->DomainsNamed("vm-").empty() ||
                [&] {
                  for (const std::string& d : world_->DomainsNamed("vm-")) {
                    if (DomainXml(d, true).find(world_->pool_dir()) != std::string::npos) {
                      return false;
                    }
                  }
                  return true;
                }());
  }

  std::string WriteConfig(const std::function<void(json&)>& edit) {
    json config = json::parse(world_->ConfigJson());
    edit(config);
    std::string path = world_->pool_dir() + "-" + std::to_string(rand()) + ".json";
    std::ofstream(path) << config.dump();
    written_.push_back(path);
    return path;
  }

  void TearDown() override {
    for (const std::string& p : written_) unlink(p.c_str());
  }

  json Create(const std::string& config, const json& networks, const std::string& stemcell) {
    return CallCpi(config, "create_vm",
                   {"agent-1", stemcell, {{"memory", 128}, {"ephemeral_disk", {{"size", 16}}}},
                    networks, json::array(), Env()});
  }

  std::vector<std::string> written_;
};

TEST_F(LibvirtVmRollbackTest, MissingStemcell) {
  auto before = world_->Volumes();
  json r = Create(world_->config_path(), Networks(),
                  "sc-00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(r["error"]["type"], "Bosh::Clouds::CloudError");
  EXPECT_NE(r["error"]["message"].get<std::string>().find("not found"), std::string::npos);
  ExpectNothingLeft(before);
}

TEST_F(LibvirtVmRollbackTest, MissingLibvirtNetwork) {
  auto before = world_->Volumes();
  json networks = Networks();
  networks["default"]["cloud_properties"]["network"] = "no-such-network-x";
  json r = Create(world_->config_path(), networks, stemcell_);
  EXPECT_EQ(r["error"]["type"], "Bosh::Clouds::VMCreationFailed");
  EXPECT_EQ(r["error"]["ok_to_retry"], false);
  EXPECT_NE(r["error"]["message"].get<std::string>().find("no-such-network-x"),
            std::string::npos);
  ExpectNothingLeft(before);
}

TEST_F(LibvirtVmRollbackTest, InvalidDomainTemplateAfterVolumesWereMade) {
  auto before = world_->Volumes();
  std::string dir = world_->pool_dir() + "-tpl";
  system(("mkdir -p " + dir + " && cp " CPI_SOURCE_DIR "/templates/*.xml " + dir +
          " && printf '<domain><name>{{name}}</name' > " + dir + "/domain.xml")
             .c_str());
  std::string config = WriteConfig([&](json& c) { c["templates_dir"] = dir; });
  json r = Create(config, Networks(), stemcell_);
  system(("rm -rf " + dir).c_str());
  EXPECT_EQ(r["error"]["type"], "Bosh::Clouds::VMCreationFailed");
  EXPECT_NE(r["error"]["message"].get<std::string>().find("domain.xml"), std::string::npos);
  ExpectNothingLeft(before);
}

TEST_F(LibvirtVmRollbackTest, DefineRefusedByLibvirt) {
  auto before = world_->Volumes();
  std::string config =
      WriteConfig([](json& c) { c["libvirt"]["machine_type"] = "no-such-machine-1.0"; });
  json r = Create(config, Networks(), stemcell_);
  EXPECT_EQ(r["error"]["type"], "Bosh::Clouds::VMCreationFailed");
  ExpectNothingLeft(before);
}

TEST_F(LibvirtVmRollbackTest, StartRefusedByLibvirt) {
  auto before = world_->Volumes();
  json networks = Networks();
  networks["default"]["cloud_properties"] = {{"bridge", "nosuchbr0"}};
  json r = Create(world_->config_path(), networks, stemcell_);
  EXPECT_EQ(r["error"]["type"], "Bosh::Clouds::VMCreationFailed");
  EXPECT_NE(r["error"]["message"].get<std::string>().find("starting"), std::string::npos)
      << r.dump();
  ExpectNothingLeft(before);
}

TEST_F(LibvirtVmRollbackTest, BadCloudPropertiesChangeNothing) {
  auto before = world_->Volumes();
  json r = CallCpi(world_->config_path(), "create_vm",
                   {"agent-1", stemcell_, {{"memory", "lots"}}, Networks(), json::array(), Env()});
  EXPECT_EQ(r["error"]["type"], "Bosh::Clouds::CpiError");
  EXPECT_NE(r["error"]["message"].get<std::string>().find("cloud_properties.memory"),
            std::string::npos);
  ExpectNothingLeft(before);
}

}  // namespace
}  // namespace cpi::testing
