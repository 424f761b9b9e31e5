// Issue 17, the bad-input defects: requests and configuration files that are valid JSON but mean
// different things to different readers, or carry values the CPI must refuse with a message in
// the caller's terms, each through the real executable against the real libvirtd. Nothing is
// created or changed by a refused call.
#include <gtest/gtest.h>

#include <libvirt/libvirt.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "reliability/reliability_support.h"
#include "support/cpi_request.h"
#include "support/libvirt_world.h"

namespace cpi::testing::reliability {
namespace {

class ReliabilityBadInputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(LibvirtAvailable());
    world_ = new LibvirtWorld("relbad");
    stemcell_ = AddStemcellWithSidecar(world_->conn(), world_->pool());
  }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }
  json Call(const std::string& method, const json& args, int api_version = 2) {
    return CallCpi(world_->config_path(), method, args, api_version);
  }
  // One request exactly as written (duplicate keys cannot be made with a json value).
  json Raw(const std::string& request, const std::string& config = "") {
    ProcessResult p =
        RunCpi(request, {"--config", config.empty() ? world_->config_path() : config});
    EXPECT_EQ(p.exit_code, 0) << p.err;
    return json::parse(p.out);
  }
  json VmArgs(const std::string& agent_id, const json& networks = nullptr) {
    return {agent_id,
            stemcell_,
            {{"memory", 128}},
            networks.is_null() ? ManualNetwork(world_->network(), world_->subnet_prefix() + ".61")
                               : networks,
            json::array(),
            json::object()};
  }
  std::string CreateVm() {
    json created = Call("create_vm", VmArgs("agent-bad-input"));
    EXPECT_TRUE(created["error"].is_null()) << created.dump();
    return created["result"][0];
  }
  std::vector<std::string> Volumes() {
    std::vector<std::string> v = world_->Volumes();
    std::sort(v.begin(), v.end());
    return v;
  }
  static std::string Message(const json& response) {
    return response["error"].is_object() ? response["error"].value("message", "") : "";
  }

  static LibvirtWorld* world_;
  static std::string stemcell_;
};

LibvirtWorld* ReliabilityBadInputTest::world_ = nullptr;
std::string ReliabilityBadInputTest::stemcell_;

// Defect 3: simdjson's DOM answers the first of two equal keys, Ruby and Go the last; the
// request below deleted the VM where the Director meant `info`.
TEST_F(ReliabilityBadInputTest, DuplicateKeysAreRefusedBeforeAnythingIsDone) {
  std::string vm = CreateVm();
  json r = Raw(R"({"method":"delete_vm","method":"info","arguments":[")" + vm + R"("]})");
  EXPECT_EQ(ErrorType(r), "Bosh::Clouds::CpiError") << r.dump();
  EXPECT_TRUE(Contains(Message(r), "duplicate key 'method' at $.method")) << r.dump();
  EXPECT_EQ(world_->DomainsNamed(vm).size(), 1u) << "the VM was deleted";

  // Deep inside cloud_properties: refused, no volume made.
  std::vector<std::string> before = Volumes();
  json args = VmArgs("agent-dup");
  std::string text = DirectorRequest("create_vm", args);
  size_t memory = text.find(R"("memory":128)");
  ASSERT_NE(memory, std::string::npos);
  text.insert(memory, R"("memory":4096,)");
  r = Raw(text);
  EXPECT_EQ(ErrorType(r), "Bosh::Clouds::CpiError") << r.dump();
  EXPECT_TRUE(Contains(Message(r), "duplicate key 'memory' at $.arguments[2].memory")) << r.dump();
  EXPECT_EQ(Volumes(), before);

  // In env, at depth.
  args[5] = {{"bosh", {{"group", "g"}}}};
  text = DirectorRequest("create_vm", args);
  size_t group = text.find(R"("group":"g")");
  ASSERT_NE(group, std::string::npos);
  text.insert(group, R"("group":"h",)");
  r = Raw(text);
  EXPECT_TRUE(Contains(Message(r), "$.arguments[5].bosh.group")) << r.dump();
  EXPECT_EQ(Volumes(), before);

  // The config file: a clear configuration error, nothing done.
  std::string config = world_->ConfigJson();
  size_t pool = config.find("\"storage_pool\"");
  ASSERT_NE(pool, std::string::npos);
  config.insert(pool, R"("storage_pool":"elsewhere",)");
  std::string path = "/tmp/" + world_->pool() + "-dup-config.json";
  std::ofstream(path) << config;
  r = Raw(DirectorRequest("delete_vm", {vm}), path);
  unlink(path.c_str());
  EXPECT_EQ(ErrorType(r), "Bosh::Clouds::CpiError") << r.dump();
  EXPECT_TRUE(Contains(Message(r), "Invalid configuration")) << r.dump();
  EXPECT_TRUE(Contains(Message(r), "duplicate key 'storage_pool' at $.libvirt.storage_pool"))
      << r.dump();
  EXPECT_EQ(world_->DomainsNamed(vm).size(), 1u);
  EXPECT_TRUE(Call("delete_vm", {vm})["error"].is_null());
}

// Defect 5: what() is a C string; a NUL in the agent id or a metadata value cut the message
// short ("Creating VM for agent 'a").
TEST_F(ReliabilityBadInputTest, EmbeddedNulNeverCutsAMessage) {
  std::vector<std::string> before = Volumes();
  json r = Call("create_vm", VmArgs(std::string("a\0b", 3)));
  EXPECT_EQ(ErrorType(r), "Bosh::Clouds::CpiError") << r.dump();
  EXPECT_FALSE(OkToRetry(r));
  EXPECT_TRUE(Contains(Message(r), "Creating VM for agent 'a\\u0000b'")) << r.dump();
  EXPECT_TRUE(Contains(Message(r), "control character")) << r.dump();
  EXPECT_EQ(Volumes(), before) << "refused only after volumes were made";
  // \u0001 the same way.
  r = Call("create_vm", VmArgs("a\x01"
                               "b"));
  EXPECT_EQ(ErrorType(r), "Bosh::Clouds::CpiError") << r.dump();
  EXPECT_TRUE(Contains(Message(r), "'a\\u0001b'")) << r.dump();
  EXPECT_EQ(Volumes(), before);

  std::string vm = CreateVm();
  r = Call("set_vm_metadata", {vm, {{"name", std::string("x\0y", 3)}}});
  EXPECT_EQ(ErrorType(r), "Bosh::Clouds::CpiError") << r.dump();
  EXPECT_TRUE(Contains(Message(r), "x\\u0000y")) << r.dump();
  EXPECT_TRUE(Contains(Message(r), "control character")) << r.dump();
  EXPECT_TRUE(Call("delete_vm", {vm})["error"].is_null());
}

// Static IPs: malformed addresses, a netmask or gateway that does not fit the address, and (on a
// libvirt-managed network) an address outside its subnet are refused before anything is made.
// A bridge's IP plan is not libvirt's: an address there is not checked.
TEST_F(ReliabilityBadInputTest, StaticIpsAreValidatedBeforeAnythingIsMade) {
  std::vector<std::string> before = Volumes();
  const std::string prefix = world_->subnet_prefix();
  auto with = [&](const json& changes) {
    json networks = ManualNetwork(world_->network(), prefix + ".62");
    networks["default"].update(changes);
    return networks;
  };
  for (const auto& [changes, expected] : std::vector<std::pair<json, std::string>>{
           {{{"ip", "not-an-ip"}}, "network 'default': ip 'not-an-ip' is not an IPv4 or IPv6"},
           {{{"ip", prefix + ".300"}}, "ip '" + prefix + ".300' is not an IPv4 or IPv6 address"},
           {{{"ip", "fd00::62"}, {"gateway", "fd00::1"}},
            "netmask '255.255.255.0' is IPv4 but ip 'fd00::62' is IPv6"},
           {{{"netmask", "255.0.255.0"}}, "netmask '255.0.255.0' is not a netmask"},
           {{{"gateway", "192.0.2.1"}},
            "gateway '192.0.2.1' is outside the subnet " + prefix + ".0/24 of ip"},
           {{{"ip", "192.0.2.62"}, {"gateway", "192.0.2.1"}},
            "network 'default': ip '192.0.2.62' is outside the subnet of libvirt network '" +
                world_->network() + "' (" + prefix + ".0/24)"}}) {
    SCOPED_TRACE(changes.dump());
    json r = Call("create_vm", VmArgs("agent-ip", with(changes)));
    EXPECT_EQ(ErrorType(r), "Bosh::Clouds::CpiError") << r.dump();
    EXPECT_FALSE(OkToRetry(r));
    EXPECT_TRUE(Contains(Message(r), expected)) << r.dump();
    EXPECT_EQ(Volumes(), before);
  }

  // The same libvirt network's bridge named directly: libvirt knows no subnet for it.
  std::optional<virt::NetworkPtr> net = world_->conn().FindNetwork(world_->network());
  ASSERT_TRUE(net);
  char* bridge = virNetworkGetBridgeName(net->get());
  ASSERT_NE(bridge, nullptr);
  json networks = with({{"ip", "192.0.2.62"}, {"gateway", "192.0.2.1"}});
  networks["default"]["cloud_properties"] = {{"bridge", std::string(bridge)}};
  free(bridge);
  json r = Call("create_vm", VmArgs("agent-bridge", networks));
  ASSERT_TRUE(r["error"].is_null()) << r.dump();
  std::string vm = r["result"][0];
  EXPECT_TRUE(Call("delete_vm", {vm})["error"].is_null());
}

// `bosh-libvirt-cpi cleanup < request.json` ran the cleanup command on the default pool (exit 1,
// no JSON) though --help said a lone argument is the config file.
TEST_F(ReliabilityBadInputTest, CleanupWordIsNeverAConfigPathNorTheOtherWayRound) {
  std::vector<std::string> before = Volumes();
  std::string request = DirectorRequest("has_vm", {"vm-00000000-0000-4000-8000-000000000000"});
  auto run = [](const std::vector<std::string>& argv, const std::string& input) {
    return CpiProcess::StartRaw(argv, input)->Wait();
  };
  ProcessResult p = run({CPI_EXECUTABLE, "cleanup"}, request);
  EXPECT_EQ(p.exit_code, 2) << p.err;
  EXPECT_TRUE(p.out.empty()) << p.out;
  EXPECT_TRUE(Contains(p.err, "the cleanup command reads no request")) << p.err;
  EXPECT_FALSE(Contains(p.err, "unreachable object")) << "the command ran: " << p.err;

  p = run({CPI_EXECUTABLE, "cleanup", "--help"}, "");
  EXPECT_EQ(p.exit_code, 0) << p.err;
  EXPECT_TRUE(Contains(p.out, "Usage: bosh-libvirt-cpi")) << p.out;
  EXPECT_TRUE(Contains(p.out, "bosh-libvirt-cpi cleanup [--dry-run]")) << p.out;

  // A configuration file named `cleanup`: as a lone word it is ambiguous and refused; with
  // --config it is the configuration of a CPI call.
  std::string dir = "/tmp/" + world_->pool() + "-cleanup-word";
  Sh("mkdir -p " + dir + " && cp " + world_->config_path() + " " + dir + "/cleanup");
  p = run({"/bin/sh", "-c", "cd " + dir + " && exec " CPI_EXECUTABLE " cleanup"}, "");
  EXPECT_EQ(p.exit_code, 2) << p.err;
  EXPECT_TRUE(Contains(p.err, "'cleanup' is both the cleanup command and a file here")) << p.err;
  p = run({"/bin/sh", "-c", "cd " + dir + " && exec " CPI_EXECUTABLE " --config ./cleanup"},
          request);
  EXPECT_EQ(p.exit_code, 0) << p.err;
  json r = json::parse(p.out);
  EXPECT_TRUE(r["error"].is_null()) << p.out;
  EXPECT_EQ(r["result"], false);
  Sh("rm -rf " + dir);

  // The command itself still runs, with no input.
  p = RunCleanup(world_->config_path(), {"--dry-run"});
  EXPECT_EQ(p.exit_code, 0) << p.err;
  EXPECT_EQ(Volumes(), before);
}

// Misleading numeric messages: 2^63 was "must be an integer, got integer", 2^64 "invalid JSON",
// a 50 MB request "request is 16777217 bytes", a string ephemeral_disk "must be an integer".
TEST_F(ReliabilityBadInputTest, NumericMistakesAreNamedInTheCallersTerms) {
  std::vector<std::string> before = Volumes();
  for (std::string size : {"9223372036854775808", "18446744073709551616"}) {
    json r = Raw(R"({"method":"create_disk","arguments":[)" + size + R"(,{},null]})");
    EXPECT_EQ(ErrorType(r), "Bosh::Clouds::CpiError") << r.dump();
    EXPECT_EQ(Message(r), "Invalid arguments for 'create_disk': size " + size +
                              " MiB is out of range 1..67108864");
  }
  json r = Raw(R"({"method":"create_disk","arguments":[1,{"x":1e400},null]})");
  EXPECT_EQ(Message(r),
            "Malformed request: the number 1e400 at $.arguments[1].x is out of range (integers "
            "must fit in 64 bits, other numbers in a double)");

  std::string big = R"({"method":"info","arguments":[],"context":{"x":")" +
                    std::string(50 * 1000 * 1000, 'a') + R"("}})";
  r = Raw(big);
  EXPECT_EQ(Message(r),
            "Malformed request: request is more than 16 MiB; at most 16777216 bytes are accepted");

  json args = VmArgs("agent-num");
  args[2]["ephemeral_disk"] = "x";
  r = Call("create_vm", args);
  EXPECT_EQ(ErrorType(r), "Bosh::Clouds::CpiError") << r.dump();
  EXPECT_TRUE(Contains(Message(r),
                       "cloud_properties.ephemeral_disk must be an integer number of "
                       "MiB (or {\"size\": MiB}), got string \"x\""))
      << r.dump();
  EXPECT_EQ(Volumes(), before);
}

}  // namespace
}  // namespace cpi::testing::reliability
