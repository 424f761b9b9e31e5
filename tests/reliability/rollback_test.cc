// Issue 6, item 1: every failure path of every method that creates something, made to fail for
// real against the real libvirtd, answers the right error type and ok_to_retry, and leaves no
// domain, volume, network (DHCP) change or lock file behind.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "bosh_libvirt_cpi/virt/domain.h"
#include "bosh_libvirt_cpi/virt/storage.h"
#include "reliability/reliability_support.h"
#include "support/cpi_request.h"
#include "support/libvirt_world.h"

namespace cpi::testing::reliability {
namespace {

namespace fs = std::filesystem;

// Everything a failed call could have left behind.
struct HostState {
  std::vector<std::string> volumes;
  std::vector<std::string> domains;  // domains whose disks live in the pool folder
  std::vector<std::string> locks;    // files in the lock folder
  std::string network_xml;           // DHCP hosts, ports: the world's network as libvirt has it

  bool operator==(const HostState&) const = default;
};

std::ostream& operator<<(std::ostream& os, const HostState& s) {
  os << "volumes:";
  for (const auto& v : s.volumes) os << " " << v;
  os << "\ndomains:";
  for (const auto& d : s.domains) os << " " << d;
  os << "\nlocks:";
  for (const auto& l : s.locks) os << " " << l;
  return os << "\nnetwork: " << s.network_xml;
}

class ReliabilityRollbackTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(LibvirtAvailable()) << "libvirtd is not running; run scripts/setup.sh";
    world_ = new LibvirtWorld("relrb");
    stemcell_ = AddStemcellWithSidecar(world_->conn(), world_->pool());
  }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }
  void TearDown() override {
    for (const std::string& p : scratch_) fs::remove_all(p);
  }

  static HostState State(const std::string& pool_dir, const std::vector<std::string>& volumes,
                         const std::string& lock_dir) {
    HostState s;
    s.volumes = volumes;
    std::sort(s.volumes.begin(), s.volumes.end());
    for (const virt::DomainPtr& d : virt::ListAllDomains(world_->conn().get())) {
      std::string name = virt::DomainName(d.get());
      try {
        if (Contains(virt::DomainXml(d.get(), name, true), pool_dir + "/")) {
          s.domains.push_back(name);
        }
      } catch (...) {
      }
    }
    s.locks = FilesIn(lock_dir);
    auto net = world_->conn().FindNetwork(world_->network());
    char* xml = virNetworkGetXMLDesc(net->get(), 0);
    s.network_xml = xml;
    free(xml);
    return s;
  }
  static HostState State() {
    return State(world_->pool_dir(), world_->Volumes(), world_->lock_dir());
  }

  // A copy of the world's config with `edit` applied.
  std::string Config(const json& overrides) {
    std::string dir = "/tmp/" + world_->pool() + "-cfg-" + std::to_string(scratch_.size());
    fs::create_directories(dir);
    scratch_.push_back(dir);
    std::string path = dir + "/cpi.json";
    json config = json::parse(world_->ConfigJson());
    config.merge_patch(overrides);
    std::ofstream(path) << config.dump();
    return path;
  }

  json Networks(const std::string& network = "") {
    return ManualNetwork(network.empty() ? world_->network() : network,
                         world_->subnet_prefix() + ".10");
  }

  json CreateVm(const std::string& config, const std::string& stemcell, const json& networks,
                const json& cloud_properties = {{"memory", 128},
                                                {"ephemeral_disk", {{"size", 16}}}},
                const json& env = {{"bosh", {{"password", "x"}}}}) {
    return CallCpi(config, "create_vm",
                   {"agent-rollback", stemcell, cloud_properties, networks, json::array(), env});
  }

  // Runs `call`, expects the error and that nothing changed on the host.
  void ExpectFailsCleanly(const std::function<json()>& call, const std::string& type,
                          bool ok_to_retry, const std::string& message_part = "") {
    HostState before = State();
    json r = call();
    EXPECT_EQ(ErrorType(r), type) << r.dump();
    EXPECT_EQ(OkToRetry(r), ok_to_retry) << r.dump();
    EXPECT_TRUE(r.contains("result") && r["result"].is_null()) << r.dump();
    EXPECT_TRUE(r.contains("log") && r["log"].is_string()) << r.dump();
    if (!message_part.empty()) {
      EXPECT_TRUE(Contains(r["error"].value("message", ""), message_part)) << r.dump();
    }
    EXPECT_EQ(State(), before);
  }

  static LibvirtWorld* world_;
  static std::string stemcell_;
  std::vector<std::string> scratch_;
};

LibvirtWorld* ReliabilityRollbackTest::world_ = nullptr;
std::string ReliabilityRollbackTest::stemcell_;

// --- create_vm: each step made to fail -----------------------------------------------------------

TEST_F(ReliabilityRollbackTest, CreateVmWithMissingStemcell) {
  ExpectFailsCleanly(
      [&] {
        return CreateVm(world_->config_path(), "sc-00000000-0000-4000-8000-000000000000",
                        Networks());
      },
      "Bosh::Clouds::CloudError", false, "not found");
}

TEST_F(ReliabilityRollbackTest, CreateVmWithMissingLibvirtNetwork) {
  ExpectFailsCleanly(
      [&] { return CreateVm(world_->config_path(), stemcell_, Networks("nonet-x")); },
      "Bosh::Clouds::VMCreationFailed", false, "nonet-x");
}

TEST_F(ReliabilityRollbackTest, CreateVmWithInvalidDomainTemplate) {
  std::string dir = "/tmp/" + world_->pool() + "-tpl";
  scratch_.push_back(dir);
  fs::create_directories(dir);
  for (const auto& e : fs::directory_iterator(CPI_SOURCE_DIR "/templates")) {
    fs::copy_file(e.path(), dir + "/" + e.path().filename().string());
  }
  std::ofstream(dir + "/domain.xml", std::ios::trunc) << "<domain><name>{{name}}</name";
  std::string config = Config({{"templates_dir", dir}});
  // The volumes are made before the template is rendered: all three are rolled back.
  ExpectFailsCleanly([&] { return CreateVm(config, stemcell_, Networks()); },
                     "Bosh::Clouds::VMCreationFailed", false, "domain.xml");
}

TEST_F(ReliabilityRollbackTest, CreateVmWhoseDefinitionLibvirtRefuses) {
  std::string config = Config({{"libvirt", {{"machine_type", "no-such-machine-9.9"}}}});
  ExpectFailsCleanly([&] { return CreateVm(config, stemcell_, Networks()); },
                     "Bosh::Clouds::VMCreationFailed", false, "defining domain");
}

TEST_F(ReliabilityRollbackTest, CreateVmWhoseStartLibvirtRefuses) {
  json networks = Networks();
  networks["default"]["cloud_properties"] = {{"bridge", "cpirelnobr0"}};
  // Defined, then refused at start: the domain is undefined again with its volumes.
  ExpectFailsCleanly([&] { return CreateVm(world_->config_path(), stemcell_, networks); },
                     "Bosh::Clouds::VMCreationFailed", false, "starting");
}

TEST_F(ReliabilityRollbackTest, CreateVmWithBadCloudProperties) {
  ExpectFailsCleanly(
      [&] {
        return CreateVm(world_->config_path(), stemcell_, Networks(), {{"memory", "lots"}});
      },
      "Bosh::Clouds::CpiError", false, "memory");
}

TEST_F(ReliabilityRollbackTest, CreateVmWhenTheLockFolderIsUnusable) {
  std::string blocker = "/tmp/" + world_->pool() + "-lockfile";
  scratch_.push_back(blocker);
  std::ofstream(blocker) << "a file where the lock folder should be";
  std::string config = Config({{"lock_dir", blocker}});
  ExpectFailsCleanly([&] { return CreateVm(config, stemcell_, Networks()); },
                     "Bosh::Clouds::VMCreationFailed", false, "lock");
}

TEST_F(ReliabilityRollbackTest, CreateVmWithMissingPool) {
  std::string config = Config({{"libvirt", {{"storage_pool", "cpirel-no-such-pool"}}}});
  ExpectFailsCleanly([&] { return CreateVm(config, stemcell_, Networks()); },
                     "Bosh::Clouds::CloudError", false, "does not exist");
}

// An inactive pool may come back (an operator restarting it): retryable.
TEST_F(ReliabilityRollbackTest, CreateVmWithInactivePoolIsRetryable) {
  std::string name = world_->pool() + "-off";
  std::string dir = "/var/lib/libvirt/images/" + name;
  fs::create_directories(dir);
  std::string xml =
      "<pool type='dir'><name>" + name + "</name><target><path>" + dir + "</path></target></pool>";
  virStoragePoolPtr pool = virStoragePoolDefineXML(world_->conn().get(), xml.c_str(), 0);
  ASSERT_NE(pool, nullptr);
  std::string config = Config({{"libvirt", {{"storage_pool", name}}}});
  ExpectFailsCleanly([&] { return CreateVm(config, stemcell_, Networks()); },
                     "Bosh::Clouds::VMCreationFailed", true, "not active");
  virStoragePoolUndefine(pool);
  virStoragePoolFree(pool);
  fs::remove_all(dir);
}

// No daemon at the URI (socket absent): the Director retries create_vm only on a retryable
// VMCreationFailed, so that is the answer; other methods answer a retryable CloudError.
TEST_F(ReliabilityRollbackTest, NoDaemonAtTheUriIsRetryable) {
  std::string config =
      Config({{"libvirt", {{"uri", "qemu+unix:///system?socket=/tmp/cpirel-no-such.sock"}}}});
  ExpectFailsCleanly([&] { return CreateVm(config, stemcell_, Networks()); },
                     "Bosh::Clouds::VMCreationFailed", true, "Connecting to libvirt");
  ExpectFailsCleanly(
      [&] {
        return CallCpi(config, "create_disk", {64, json::object(), nullptr});
      },
      "Bosh::Clouds::CloudError", true, "Connecting to libvirt");
  // has_vm must not answer false (the Director would recreate a healthy VM).
  ExpectFailsCleanly(
      [&] { return CallCpi(config, "has_vm", {"vm-00000000-0000-4000-8000-000000000000"}); },
      "Bosh::Clouds::CloudError", true);
}

// --- a pool on an 8 MiB tmpfs, filled so that each step of create_vm in turn hits ENOSPC ------

TEST_F(ReliabilityRollbackTest, CreateVmOnAFullPoolFailsAtEveryStepAndLeavesNothing) {
  TmpfsPool full(world_->conn(), world_->network(), 8u << 20);
  std::string stemcell = AddStemcellWithSidecar(world_->conn(), full.pool());
  auto state = [&] { return State(full.dir(), full.Volumes(), full.lock_dir()); };
  // Creating a qcow2 volume needs more room for a moment than it keeps; a config drive of a few
  // KiB would always fit into that slack. With 1 MiB of env (blobstore certificates can be that
  // large) the config drive is the largest step, and each of the three steps gets its turn.
  const json props = {{"memory", 128}, {"ephemeral_disk", {{"size", 16}}}};
  const json env = {{"bosh", {{"password", "x"}, {"blob", std::string(1 << 20, 'b')}}}};

  // What one VM needs, measured.
  size_t free_before = full.FreeBytes();
  json ok = CreateVm(full.config_path(), stemcell, Networks(), props, env);
  ASSERT_TRUE(ok["error"].is_null()) << ok.dump();
  size_t needs = free_before - full.FreeBytes();
  json deleted = CallCpi(full.config_path(), "delete_vm", json::array({ok["result"][0]}));
  ASSERT_TRUE(deleted["error"].is_null()) << deleted.dump();
  ASSERT_GT(needs, 0u);

  HostState before = state();
  std::set<std::string> failed_steps;
  // Returns whether create_vm succeeded with `leave` bytes free; checks the failure otherwise.
  auto attempt = [&](size_t leave) {
    full.LeaveFree(leave);
    json r = CreateVm(full.config_path(), stemcell, Networks(), props, env);
    SCOPED_TRACE("free " + std::to_string(leave) + " of " + std::to_string(needs) + " bytes");
    if (r["error"].is_null()) {
      CallCpi(full.config_path(), "delete_vm", json::array({r["result"][0]}));
      return true;
    }
    EXPECT_EQ(ErrorType(r), "Bosh::Clouds::VMCreationFailed") << r.dump();
    EXPECT_TRUE(OkToRetry(r)) << r.dump();
    std::string message = r["error"]["message"];
    EXPECT_TRUE(Contains(message, "space")) << message;
    for (const char* step : {"-root'", "-ephemeral'", "-config'"}) {
      if (Contains(message, step)) failed_steps.insert(step);
    }
    EXPECT_EQ(state(), before);
    return false;
  };
  // From nothing free to enough, in steps of 1/16 of what a VM needs.
  for (size_t i = 0; i < 16; ++i) {
    if (attempt(needs * i / 16)) break;
  }
  // The sweep really hit the volumes one after the other, not only the first.
  EXPECT_EQ(failed_steps.size(), 3u);
  std::string steps;
  for (const std::string& s : failed_steps) steps += s + " ";
  RecordProperty("vm_needs_bytes", std::to_string(needs));
  RecordProperty("enospc_at", steps);
  full.LeaveFree(8u << 20);
  json again = CreateVm(full.config_path(), stemcell, Networks(), props, env);
  EXPECT_TRUE(again["error"].is_null()) << again.dump();
  if (again["error"].is_null())
    CallCpi(full.config_path(), "delete_vm", json::array({again["result"][0]}));
}

TEST_F(ReliabilityRollbackTest, CreateDiskAndSnapshotOnAFullPool) {
  TmpfsPool full(world_->conn(), world_->network(), 8u << 20);
  auto state = [&] { return State(full.dir(), full.Volumes(), full.lock_dir()); };
  json disk = CallCpi(full.config_path(), "create_disk", {64, json::object(), nullptr});
  ASSERT_TRUE(disk["error"].is_null()) << disk.dump();
  std::string cid = disk["result"];

  full.LeaveFree(0);
  HostState before = state();
  json r = CallCpi(full.config_path(), "create_disk", {64, json::object(), nullptr});
  EXPECT_EQ(ErrorType(r), "Bosh::Clouds::NoDiskSpace") << r.dump();
  EXPECT_TRUE(OkToRetry(r));
  EXPECT_EQ(state(), before);

  json snap = CallCpi(full.config_path(), "snapshot_disk", {cid, {{"deployment", "d"}}});
  EXPECT_FALSE(snap["error"].is_null()) << snap.dump();
  EXPECT_EQ(ErrorType(snap), "Bosh::Clouds::NoDiskSpace") << snap.dump();
  EXPECT_EQ(state(), before);

  // A sidecar is a few bytes, uploaded in one stream send: libvirt loses that write's ENOSPC, so
  // this only fails because the upload is read back (before, it "succeeded" with a hole).
  json meta = CallCpi(full.config_path(), "set_disk_metadata", {cid, {{"director", "d"}}});
  EXPECT_EQ(ErrorType(meta), "Bosh::Clouds::NoDiskSpace") << meta.dump();
  EXPECT_EQ(state(), before);

  full.LeaveFree(8u << 20);
  EXPECT_TRUE(CallCpi(full.config_path(), "set_disk_metadata", {cid, {{"director", "d"}}})["error"]
                  .is_null());
  EXPECT_TRUE(CallCpi(full.config_path(), "delete_disk", {cid})["error"].is_null());
}

TEST_F(ReliabilityRollbackTest, CreateStemcellFailuresLeaveNothing) {
  std::string dir = "/tmp/" + world_->pool() + "-img";
  scratch_.push_back(dir);
  fs::create_directories(dir);
  // 6 MiB of random data (incompressible: a cut lands mid-stream).
  Sh("head -c 6291456 /dev/urandom > " + dir + "/root.img && tar czf " + dir + "/image -C " + dir +
     " root.img && head -c 3000000 " + dir + "/image > " + dir + "/truncated");
  json props = {{"disk_format", "raw"}, {"disk", 6}};
  ExpectFailsCleanly(
      [&] {
        return CallCpi(world_->config_path(), "create_stemcell", {dir + "/truncated", props});
      },
      "Bosh::Clouds::CloudError", false, "truncated");
  ExpectFailsCleanly(
      [&] {
        return CallCpi(world_->config_path(), "create_stemcell", {dir + "/missing", props});
      },
      "Bosh::Clouds::CloudError", false, "missing");

  TmpfsPool full(world_->conn(), world_->network(), 8u << 20);
  full.LeaveFree(2u << 20);
  std::vector<std::string> before = full.Volumes();
  json r = CallCpi(full.config_path(), "create_stemcell", {dir + "/image", props});
  EXPECT_EQ(ErrorType(r), "Bosh::Clouds::NoDiskSpace") << r.dump();
  EXPECT_TRUE(OkToRetry(r));
  EXPECT_EQ(full.Volumes(), before);
  EXPECT_TRUE(FilesIn(full.lock_dir()).empty());
}

// --- attach_disk: a hot-plug QEMU refuses changes neither definition ---------------------------

TEST_F(ReliabilityRollbackTest, AttachDiskFailuresChangeNeitherDefinition) {
  json vm = CreateVm(world_->config_path(), stemcell_, Networks(), {{"memory", 128}});
  ASSERT_TRUE(vm["error"].is_null()) << vm.dump();
  std::string vm_cid = vm["result"][0];
  json other = CreateVm(world_->config_path(), stemcell_,
                        ManualNetwork(world_->network(), world_->subnet_prefix() + ".11"),
                        {{"memory", 128}});
  ASSERT_TRUE(other["error"].is_null()) << other.dump();
  std::string other_cid = other["result"][0];
  std::string disk =
      CallCpi(world_->config_path(), "create_disk", {16, json::object(), vm_cid})["result"];
  std::string in_use =
      CallCpi(world_->config_path(), "create_disk", {16, json::object(), vm_cid})["result"];
  ASSERT_TRUE(
      CallCpi(world_->config_path(), "attach_disk", {other_cid, in_use})["error"].is_null());

  auto definitions = [&] {
    return std::pair{DiskTargets(world_->conn(), vm_cid, true),
                     DiskTargets(world_->conn(), vm_cid, false)};
  };
  auto before = definitions();
  const std::string missing_vm = "vm-00000000-0000-4000-8000-000000000000";
  ExpectFailsCleanly(
      [&] {
        return CallCpi(world_->config_path(), "attach_disk", {missing_vm, disk});
      },
      "Bosh::Clouds::CloudError", false, "not found");
  ExpectFailsCleanly(
      [&] {
        return CallCpi(world_->config_path(), "attach_disk", {vm_cid, "disk-000000000000000"});
      },
      "Bosh::Clouds::CloudError", false, "not found");
  ExpectFailsCleanly(
      [&] {
        return CallCpi(world_->config_path(), "attach_disk", {vm_cid, in_use});
      },
      "Bosh::Clouds::CloudError", false, other_cid);
  // The volume's file vanished behind libvirt's back: QEMU refuses the hot-plug.
  ASSERT_EQ(unlink((world_->pool_dir() + "/" + disk).c_str()), 0);
  json r = CallCpi(world_->config_path(), "attach_disk", {vm_cid, disk});
  EXPECT_EQ(ErrorType(r), "Bosh::Clouds::CloudError") << r.dump();
  EXPECT_EQ(definitions(), before);
  EXPECT_TRUE(FilesIn(world_->lock_dir()).empty());

  CallCpi(world_->config_path(), "delete_vm", {vm_cid});
  CallCpi(world_->config_path(), "delete_vm", {other_cid});
  CallCpi(world_->config_path(), "delete_disk", {in_use});
  CallCpi(world_->config_path(), "delete_disk", {disk});
}

}  // namespace
}  // namespace cpi::testing::reliability
