// The multi-host test bed itself (tests/multihost/multihost_support.h), checked with virsh before
// any CPI call: kvm-a is the system libvirtd over qemu+ssh:// through the private sshd with our
// known_hosts only, kvm-b the private libvirtd over qemu+tcp://, each sees its own pool only, and
// a wrong host key or an unauthorized client key is refused without asking anything.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "multihost/multihost_support.h"
#include "support/loopback.h"
#include "support/process.h"

namespace cpi::testing::multihost {
namespace {

ProcessResult Virsh(const std::string& uri, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/timeout", "30", "virsh", "-q", "-c", uri};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, "");
}

// Whether one line of virsh's output is `name` (virsh pads its lines with blanks).
bool Lists(const std::string& text, const std::string& name) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    line.erase(line.find_last_not_of(" \t") + 1);
    if (line == name) return true;
  }
  return false;
}

std::string Line(const std::string& text, const std::string& start) {
  size_t at = text.find(start);
  return at == std::string::npos ? "" : text.substr(at, text.find('\n', at) - at);
}

TEST(MultihostHarnessTest, VirshReachesEachDaemonOverItsRemoteUriAndSeesOnlyItsPool) {
  TwoHosts& hosts = Hosts();
  ProcessResult a = Virsh(hosts.sshd().Uri(), {"pool-list", "--all", "--name"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_TRUE(Lists(a.out, hosts.a().pool())) << a.out;
  EXPECT_FALSE(Lists(a.out, hosts.b().pool())) << a.out;

  ProcessResult b = Virsh(hosts.daemon_b().tcp_uri(), {"pool-list", "--all", "--name"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_TRUE(Lists(b.out, hosts.b().pool())) << b.out;
  EXPECT_FALSE(Lists(b.out, hosts.a().pool())) << b.out;

  // Both report the same machine (the placement test relies on equal free memory).
  ProcessResult a_info = Virsh(hosts.sshd().Uri(), {"nodeinfo"});
  ProcessResult b_info = Virsh(hosts.daemon_b().tcp_uri(), {"nodeinfo"});
  EXPECT_EQ(Line(a_info.out, "Memory size:"), Line(b_info.out, "Memory size:"));
  EXPECT_FALSE(Line(a_info.out, "Memory size:").empty()) << a_info.out;
}

TEST(MultihostHarnessTest, SshWithAWrongHostKeyOrAStrangerKeyIsRefusedWithoutAsking) {
  TwoHosts& hosts = Hosts();
  ProcessResult wrong_host = Virsh(hosts.sshd().UriWithWrongHostKey(), {"list"});
  EXPECT_NE(wrong_host.exit_code, 0);
  EXPECT_NE(wrong_host.err.find("Host key verification failed"), std::string::npos)
      << wrong_host.err;
  ProcessResult stranger = Virsh(hosts.sshd().UriWithUnauthorizedKey(), {"list"});
  EXPECT_NE(stranger.exit_code, 0);
  EXPECT_NE(stranger.err.find("Permission denied"), std::string::npos) << stranger.err;
}

TEST(MultihostHarnessTest, ALoopbackListenerNobodyAcceptsFromNeverAnswersVirsh) {
  LoopbackListener silent = ListenOnLoopback();
  Clock::time_point start = Clock::now();
  ProcessResult r =
      RunProcess({"/usr/bin/timeout", "3", "virsh", "-c", TcpUri(silent.port), "list"}, "");
  EXPECT_EQ(r.exit_code, 124) << "virsh did not hang: " << r.err;  // killed by timeout(1)
  EXPECT_GE(Clock::now() - start, std::chrono::seconds(3));
}

}  // namespace
}  // namespace cpi::testing::multihost
