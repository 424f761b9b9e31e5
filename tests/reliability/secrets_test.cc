// Issue 6, item 7: create_vm's env (password hash, NATS client certificate and key, blobstore
// credentials) and the agent credentials of the CPI config never appear on stderr or in the
// response (`log`, error messages) of any method, on success or failure paths, even at the most
// verbose log level; they live only in the VM's config volume, which is readable by its owner
// only and is deleted with the VM.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "bosh_libvirt_cpi/util/ids.h"
#include "bosh_libvirt_cpi/virt/domain.h"
#include "reliability/reliability_support.h"
#include "support/cpi_request.h"
#include "support/libvirt_world.h"

namespace cpi::testing::reliability {
namespace {

namespace fs = std::filesystem;

class ReliabilitySecretsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(LibvirtAvailable());
    world_ = new LibvirtWorld("relse");
    stemcell_ = AddStemcellWithSidecar(world_->conn(), world_->pool());
    marker_ = "S3CR3T-" + util::RandomHex(12);
    // The agent credentials of the CPI's own config.
    config_ = "/tmp/" + world_->pool() + "-secret.json";
    json config = json::parse(world_->ConfigJson());
    config["agent"]["mbus"] = "nats://nats:" + marker_ + "-MBUS@10.0.0.6:4222";
    config["agent"]["blobstore"] = {
        {"provider", "dav"}, {"options", {{"user", "agent"}, {"password", marker_ + "-BLOB"}}}};
    std::ofstream(config_) << config.dump();
  }
  static void TearDownTestSuite() {
    fs::remove(config_);
    delete world_;
    world_ = nullptr;
  }

  static json Env() {
    return {
        {"bosh",
         {{"password", "$6$" + marker_ + "-PASSWORD"},
          {"mbus",
           {{"cert",
             {{"ca", "-----BEGIN CERTIFICATE-----\n" + marker_ + "-CA\n-----END CERTIFICATE-----"},
              {"certificate", marker_ + "-CERT"},
              {"private_key", "-----BEGIN RSA PRIVATE KEY-----\n" + marker_ +
                                  "-KEY\n-----END RSA PRIVATE KEY-----"}}},
            {"urls", {"nats://u:" + marker_ + "-URL@10.0.0.6:4222"}}}},
          {"blobstores",
           {{{"provider", "dav"}, {"options", {{"password", marker_ + "-ENVBLOB"}}}}}}}}};
  }

  // One call at trace level; fails the test if the marker shows anywhere in what comes back.
  json Call(const std::string& method, const json& args, int stemcell_api = 3,
            const std::string& raw_request = "") {
    std::string request =
        raw_request.empty() ? DirectorRequest(method, args, 2, stemcell_api) : raw_request;
    ProcessResult p =
        RunCpi(request, {"--config", config_}, {{"BOSH_LIBVIRT_CPI_LOG_LEVEL", "trace"}});
    EXPECT_EQ(p.exit_code, 0) << method;
    EXPECT_FALSE(Contains(p.err, marker_)) << method << ": a secret on stderr";
    EXPECT_FALSE(Contains(p.out, marker_)) << method << ": a secret in the response";
    ++calls_;
    try {
      return json::parse(p.out);
    } catch (...) {
      ADD_FAILURE() << method << ": no JSON response";
      return json::object();
    }
  }

  json VmArgs(const std::string& stemcell, const json& networks, const json& env,
              const json& cloud_properties = {{"memory", 128},
                                              {"ephemeral_disk", {{"size", 16}}}}) {
    return {"agent-secrets", stemcell, cloud_properties, networks, json::array(), env};
  }
  json Networks() { return ManualNetwork(world_->network(), world_->subnet_prefix() + ".70"); }

  // No file of the pool, lock or console folder holds the marker in clear, except the config
  // volumes of live VMs (`allowed`).
  void ExpectNoSecretOnDisk(const std::vector<std::string>& allowed = {}) {
    for (const std::string& dir : {world_->pool_dir(), world_->lock_dir(), world_->console_dir()}) {
      for (const std::string& name : FilesIn(dir)) {
        if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
        std::ifstream in(dir + "/" + name, std::ios::binary);
        std::string content(std::istreambuf_iterator<char>(in), {});
        EXPECT_FALSE(Contains(content, marker_)) << dir << "/" << name;
      }
    }
  }

  static LibvirtWorld* world_;
  static std::string stemcell_, marker_, config_;
  static int calls_;
};

LibvirtWorld* ReliabilitySecretsTest::world_ = nullptr;
std::string ReliabilitySecretsTest::stemcell_;
std::string ReliabilitySecretsTest::marker_;
std::string ReliabilitySecretsTest::config_;
int ReliabilitySecretsTest::calls_ = 0;

TEST_F(ReliabilitySecretsTest, EveryMethodOnItsSuccessPath) {
  calls_ = 0;
  json created = Call("create_vm", VmArgs(stemcell_, Networks(), Env()));
  ASSERT_TRUE(created["error"].is_null()) << created.dump();
  std::string vm = created["result"][0];
  json v1 = Call("create_vm", VmArgs(stemcell_, Networks(), Env()), 1);
  ASSERT_TRUE(v1["error"].is_null()) << v1.dump();
  std::string vm1 = v1["result"][0];

  // The settings (with every secret) are on the config volume, readable by its owner only.
  struct stat st {};
  ASSERT_EQ(stat((world_->pool_dir() + "/" + vm + "-config").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0077, 0u) << std::oct << st.st_mode;
  auto dom = world_->conn().FindDomain(vm);
  EXPECT_TRUE(virt::DomainActive(dom->get(), vm)) << "QEMU must still read a 0600 volume";
  EXPECT_FALSE(Contains(virt::DomainXml(dom->get(), vm, false), marker_));

  Call("info", json::array());
  Call("calculate_vm_cloud_properties",
       {{{"cpu", 1}, {"ram", 512}, {"ephemeral_disk_size", 1024}}});
  Call("set_vm_metadata", {vm, {{"name", "web/0"}, {"deployment", "d"}}});
  EXPECT_EQ(Call("has_vm", {vm})["result"], true);
  EXPECT_TRUE(Call("reboot_vm", {vm})["error"].is_null());
  std::string disk = Call("create_disk", {16, json::object(), vm})["result"];
  EXPECT_TRUE(Call("attach_disk", {vm, disk})["error"].is_null());
  EXPECT_EQ(Call("get_disks", {vm})["result"], json::array({disk}));
  EXPECT_TRUE(Call("set_disk_metadata", {disk, {{"director", "d"}}})["error"].is_null());
  std::string snap = Call("snapshot_disk", {disk, json::object()})["result"];
  EXPECT_TRUE(Call("delete_snapshot", {snap})["error"].is_null());
  EXPECT_EQ(Call("has_disk", {disk})["result"], true);
  // API v1 stemcells: the config drive is rebuilt from the settings it holds (secrets included).
  std::string disk1 = Call("create_disk", {16, json::object(), vm1})["result"];
  auto dom1 = world_->conn().FindDomain(vm1);
  virt::DestroyDomain(dom1->get(), vm1);
  EXPECT_TRUE(Call("attach_disk", {vm1, disk1}, 1)["error"].is_null());
  EXPECT_TRUE(Call("detach_disk", {vm1, disk1}, 1)["error"].is_null());
  EXPECT_TRUE(Call("resize_disk", {disk1, 32})["error"].is_null());
  ExpectNoSecretOnDisk({vm + "-config", vm1 + "-config", vm1 + "-config-alt"});

  EXPECT_TRUE(Call("delete_vm", {vm})["error"].is_null());
  EXPECT_TRUE(Call("delete_vm", {vm1})["error"].is_null());
  EXPECT_TRUE(Call("delete_disk", {disk})["error"].is_null());
  EXPECT_TRUE(Call("delete_disk", {disk1})["error"].is_null());
  // The config volumes went with their VMs: nothing holds a secret any more.
  for (const std::string& v : world_->Volumes()) {
    EXPECT_FALSE(Contains(v, vm) || Contains(v, vm1)) << v;
  }
  ExpectNoSecretOnDisk();
  RecordProperty("calls_checked", calls_);
}

TEST_F(ReliabilitySecretsTest, EveryFailurePath) {
  calls_ = 0;
  std::vector<std::string> before = world_->Volumes();
  json networks = Networks();
  // Missing stemcell, missing network, bridge refused at start, definition refused, bad types.
  Call("create_vm", VmArgs("sc-00000000-0000-4000-8000-000000000000", networks, Env()));
  json no_net = networks;
  no_net["default"]["cloud_properties"]["network"] = "no-such-net";
  Call("create_vm", VmArgs(stemcell_, no_net, Env()));
  json no_bridge = networks;
  no_bridge["default"]["cloud_properties"] = {{"bridge", "cpirelnobr9"}};
  EXPECT_EQ(ErrorType(Call("create_vm", VmArgs(stemcell_, no_bridge, Env()))),
            "Bosh::Clouds::VMCreationFailed");
  Call("create_vm", VmArgs(stemcell_, networks, Env(), {{"memory", "lots"}}));
  json typed = Env();
  typed["bosh"]["password"] = 12345;  // the agent would reject it: refused before anything
  typed["bosh"]["mbus"]["cert"]["private_key"] = json::array({marker_ + "-KEY"});
  Call("create_vm", VmArgs(stemcell_, networks, typed));
  Call("create_vm", VmArgs(stemcell_, networks, marker_ + "-ENV-AS-STRING"));
  Call("create_vm", VmArgs(std::string("agent\0", 6), networks, Env()));
  // Malformed requests that carry secrets: cut JSON, unknown method, too few arguments.
  std::string full = DirectorRequest("create_vm", VmArgs(stemcell_, networks, Env()));
  Call("create_vm", {}, 3, full.substr(0, full.size() / 2));
  Call("create_vm", {}, 3, full.substr(0, full.find(marker_) + 10));
  Call("create_vm_typo", VmArgs(stemcell_, networks, Env()));
  Call("create_vm", {"agent", stemcell_, json::object(), networks, json::array(), Env(), "extra"});
  // Other methods handed secrets where they do not belong.
  Call("set_vm_metadata", {"vm-00000000-0000-4000-8000-000000000000", Env()});
  Call("set_disk_metadata", {"disk-000000000000000", Env()});
  Call("snapshot_disk", {"disk-000000000000000", Env()});
  json disk = Call("create_disk", {16, Env(), nullptr});  // unknown keys are ignored: a disk
  EXPECT_TRUE(Call("delete_disk", json::array({disk["result"]}))["error"].is_null());
  Call("create_disk", {16, {{"format", Env()}}, nullptr});
  Call("create_stemcell", {"/nonexistent/image", Env()});
  Call("calculate_vm_cloud_properties", {Env()});
  // (A CID or path the caller sends is echoed in error messages by design: it is no secret.)
  EXPECT_EQ(world_->Volumes().size(), before.size());
  ExpectNoSecretOnDisk();

  // A config file whose agent credentials are fine but whose other parts are not.
  std::string bad_config = config_ + ".bad";
  json config = json::parse(std::ifstream(config_));
  config["agent"]["unknown"] = marker_ + "-UNKNOWN";
  std::ofstream(bad_config) << config.dump();
  ProcessResult p = RunCpi(DirectorRequest("has_vm", {"vm-x"}), {"--config", bad_config},
                           {{"BOSH_LIBVIRT_CPI_LOG_LEVEL", "trace"}});
  EXPECT_FALSE(Contains(p.err + p.out, marker_));
  fs::remove(bad_config);
  RecordProperty("calls_checked", calls_);
}

}  // namespace
}  // namespace cpi::testing::reliability
