// Issue 18: a host that is down, frozen, unreachable or refuses our key. Calls for its objects
// fail retryably (has_vm/has_disk never say `false`: the Director would recreate a healthy VM),
// naming the host, within the host's timeout_seconds (plus process start-up); calls for the other
// host go on; when the host is back nothing is lost.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <string>

#include "multihost/multihost_support.h"
#include "support/loopback.h"

namespace cpi::testing::multihost {
namespace {

using reliability::ErrorType;
using reliability::OkToRetry;
using std::chrono::seconds;

constexpr char kCloudError[] = "Bosh::Clouds::CloudError";
constexpr char kUuid[] = "0b6f1c2e-8a4d-8e21-9c3b-5d7e9f0a1b2c";

std::string VmCid(const json& result) {
  return result.is_array() && !result.empty() && result[0].is_string()
             ? result[0].get<std::string>()
             : "";
}

// A retryable CloudError (never a result) naming `host`, answered within `limit`.
void ExpectRetryableNaming(const Answer& a, const std::string& host, seconds limit,
                           const std::string& type = kCloudError) {
  EXPECT_EQ(ErrorType(a.response), type) << a.response.dump();
  EXPECT_TRUE(OkToRetry(a.response)) << a.response.dump();
  EXPECT_TRUE(a.response.value("result", json()).is_null()) << a.response.dump();
  EXPECT_NE(Message(a.response).find(host), std::string::npos)
      << host << " not named: " << a.response.dump();
  EXPECT_LE(a.elapsed, limit) << "answered after " << a.elapsed.count() << " ms";
}

class MultihostHostDownTest : public MultihostTest {
 protected:
  // The QEMU process of a domain of the private daemon.
  std::string QemuPid(const std::string& vm) {
    std::ifstream in(hosts().daemon_b().dir() + "/run/qemu/" + vm + ".pid");
    std::string pid;
    in >> pid;
    return pid;
  }
  // How long a call for a host that is down may take, and when a hanging one is killed.
  const seconds kLimit{kTimeoutSeconds + 5};
  const seconds kKill{kTimeoutSeconds + 15};
};

TEST_F(MultihostHostDownTest, AKilledHostFailsItsCallsRetryablyWhileTheOtherGoesOnLosingNothing) {
  TwoHosts& h = hosts();
  const std::string cfg = h.config();
  std::string sc =
      Str(Ok(Call(cfg, "create_stemcell", {h.StemcellImage(), TwoHosts::StemcellProperties()})));
  std::string vm_b =
      VmCid(Ok(Call(cfg, "create_vm", VmArguments(sc, {{"host", "kvm-b"}}, "10.9.2.10"))));
  ASSERT_FALSE(vm_b.empty());
  std::string disk_b = Str(Ok(Call(cfg, "create_disk", {16, json::object(), vm_b})));
  const std::vector<std::string> b_volumes = h.b().Volumes();
  const std::string qemu = QemuPid(vm_b);
  ASSERT_FALSE(qemu.empty());

  h.daemon_b().Stop(SIGKILL);
  ExpectRetryableNaming(Timed(cfg, "has_vm", {vm_b}, kKill), "kvm-b", kLimit);
  ExpectRetryableNaming(Timed(cfg, "has_disk", {disk_b}, kKill), "kvm-b", kLimit);
  // Placement: kvm-b alone in z2, nothing reachable there; without az kvm-b is skipped.
  ExpectRetryableNaming(
      Timed(cfg, "create_vm", VmArguments(sc, {{"az", "z2"}}, "10.9.2.11"), kKill), "kvm-b", kLimit,
      "Bosh::Clouds::VMCreationFailed");
  std::vector<std::string> on_a;
  for (const json& props : {json{{"host", "kvm-a"}}, json::object()}) {
    std::string ip = "10.9.2." + std::to_string(12 + on_a.size());
    std::string vm = VmCid(Ok(Call(cfg, "create_vm", VmArguments(sc, props, ip))));
    EXPECT_EQ(CidKey(vm), kKeyA) << vm << " for " << props.dump();
    EXPECT_EQ(Call(cfg, "has_vm", {vm})["result"], true);
    if (!vm.empty()) on_a.push_back(vm);
  }
  for (const std::string& vm : on_a) Ok(Call(cfg, "delete_vm", {vm}));
  // A stemcell made while kvm-b is down lands on kvm-a; deleting it cannot finish on kvm-b.
  std::string late =
      Str(Ok(Call(cfg, "create_stemcell", {h.StemcellImage(), TwoHosts::StemcellProperties()})));
  if (!late.empty()) {
    EXPECT_TRUE(HasVolumesOf(h.a(), late));
    ExpectRetryableNaming(Timed(cfg, "delete_stemcell", {late}, kKill), "kvm-b", kLimit);
    EXPECT_FALSE(HasVolumesOf(h.a(), late)) << "not deleted on the host that answers";
  }

  // Back: the same QEMU process, the same volumes, the same answers.
  h.daemon_b().Start();
  EXPECT_EQ(QemuPid(vm_b), qemu) << "the VM's QEMU process was replaced";
  EXPECT_EQ(h.b().Volumes(), b_volumes);
  EXPECT_EQ(Call(cfg, "has_vm", {vm_b})["result"], true);
  EXPECT_EQ(Call(cfg, "has_disk", {disk_b})["result"], true);
  if (!late.empty()) Ok(Call(cfg, "delete_stemcell", {late}));  // the retry finishes

  // Frozen (the process stops answering, its socket still accepts): the same, within the timeout.
  ASSERT_GT(h.daemon_b().libvirtd_pid(), 0);
  kill(h.daemon_b().libvirtd_pid(), SIGSTOP);
  ExpectRetryableNaming(Timed(cfg, "has_vm", {vm_b}, kKill), "kvm-b", kLimit);
  kill(h.daemon_b().libvirtd_pid(), SIGCONT);
  EXPECT_EQ(Call(cfg, "has_vm", {vm_b})["result"], true);

  Ok(Call(cfg, "delete_vm", {vm_b}));
  Ok(Call(cfg, "delete_disk", {disk_b}));
  Ok(Call(cfg, "delete_stemcell", {sc}));
}

// The ssh host with a known_hosts that holds another key, or with a client key it does not
// authorize: a CloudError naming the host, no key material in the answer or on stderr. A
// host-less CID means the first host, so it fails the same way.
TEST_F(MultihostHostDownTest, AnSshHostRefusingOurKeysFailsNamingItWithoutKeyMaterial) {
  TwoHosts& h = hosts();
  for (const std::string& uri :
       {h.sshd().UriWithWrongHostKey(), h.sshd().UriWithUnauthorizedKey()}) {
    std::string cfg =
        h.WriteConfig("bad-key", {h.Host("kvm-a", uri, h.a(), "z1", kKeyA),
                                  h.Host("kvm-b", h.daemon_b().tcp_uri(), h.b(), "z2", "kr")});
    for (const auto& [method, cid] : std::vector<std::pair<std::string, std::string>>{
             {"has_vm", "vm-kq-" + std::string(kUuid)}, {"has_disk", "disk-0123456789abcde"}}) {
      Answer r = Timed(cfg, method, {cid}, seconds(20));
      EXPECT_EQ(ErrorType(r.response), kCloudError) << r.response.dump();
      EXPECT_NE(Message(r.response).find("kvm-a"), std::string::npos) << r.response.dump();
      EXPECT_FALSE(LeaksAny(r.response.dump(), h.sshd().KeyMaterial())) << "key in the answer";
      EXPECT_FALSE(LeaksAny(r.err, h.sshd().KeyMaterial())) << "key on stderr";
      EXPECT_LE(r.elapsed, kLimit) << r.elapsed.count() << " ms";
    }
    // The other host is not affected.
    EXPECT_EQ(Call(cfg, "has_vm", {"vm-kr-" + std::string(kUuid)})["result"], false);
  }
}

// A host whose port accepts connections and never answers: retryable within its own
// timeout_seconds (2 here, the `libvirt` default 10), and create_vm without placement skips it.
TEST_F(MultihostHostDownTest, AHostThatNeverAnswersFailsRetryablyWithinItsTimeout) {
  TwoHosts& h = hosts();
  LoopbackListener silent = ListenOnLoopback();
  json kvm_c = h.Host("kvm-c", TcpUri(silent.port), h.b(), "z1", "ks");
  kvm_c["timeout_seconds"] = 2;
  std::string cfg =
      h.WriteConfig("silent", {kvm_c, h.Host("kvm-b", h.daemon_b().tcp_uri(), h.b(), "z1", "kr")},
                    {{"timeout_seconds", 10}});
  const seconds limit{2 + 5};
  ExpectRetryableNaming(Timed(cfg, "has_vm", {"vm-ks-" + std::string(kUuid)}, seconds(20)), "kvm-c",
                        limit);
  ExpectRetryableNaming(Timed(cfg, "has_disk", {"disk-ks0123456789abc"}, seconds(20)), "kvm-c",
                        limit);

  virt::RawConnection conn_b = h.b().Connect();
  std::string sc = reliability::AddStemcellWithSidecar(conn_b, h.b().pool());
  Answer created =
      Timed(cfg, "create_vm", VmArguments(sc, json::object(), "10.9.3.10"), seconds(60));
  std::string vm = VmCid(Ok(created.response));
  EXPECT_EQ(CidKey(vm), "kr") << vm;
  EXPECT_TRUE(HasDomain(h.b(), vm));
  // Cleaned up through kvm-b alone (delete_stemcell visits every host).
  std::string b_only =
      h.WriteConfig("b-only", {h.Host("kvm-b", h.daemon_b().tcp_uri(), h.b(), "z1", "kr")});
  if (!vm.empty()) Ok(Call(b_only, "delete_vm", {vm}));
  Ok(Call(b_only, "delete_stemcell", {sc}));
}

}  // namespace
}  // namespace cpi::testing::multihost
