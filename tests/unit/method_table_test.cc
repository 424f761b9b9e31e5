// The core's method table (wire name, arguments, where it runs) and the hypervisor module's
// table of handlers are two lists in two binaries: these tests keep them the same.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "bosh_libvirt_cpi/actions/hypervisor_actions.h"
#include "bosh_libvirt_cpi/rpc/methods.h"

namespace cpi {
namespace {

TEST(MethodTableTest, EveryHypervisorMethodHasAHandlerInTheModule) {
  for (const rpc::Method& m : rpc::Methods()) {
    if (m.where != rpc::Where::kHypervisor) continue;
    EXPECT_NE(actions::FindHypervisorAction(m.name), nullptr) << m.name;
    EXPECT_EQ(m.handler, nullptr) << m.name << ": its handler is the module's";
  }
}

TEST(MethodTableTest, EveryModuleHandlerIsAHypervisorMethodOfTheCore) {
  std::set<std::string> seen;
  for (const actions::HypervisorAction& a : actions::HypervisorActions()) {
    EXPECT_TRUE(seen.insert(std::string(a.name)).second) << a.name << " is listed twice";
    EXPECT_NE(a.handler, nullptr) << a.name;
    const rpc::Method* m = rpc::FindMethod(a.name);
    ASSERT_NE(m, nullptr) << a.name << " is not in src/core/rpc/methods.cc";
    EXPECT_EQ(m->where, rpc::Where::kHypervisor) << a.name;
  }
}

TEST(MethodTableTest, CoreMethodsAreNotInTheModule) {
  for (const rpc::Method& m : rpc::Methods()) {
    if (m.where != rpc::Where::kCore) continue;
    EXPECT_NE(m.handler, nullptr) << m.name;
    EXPECT_EQ(actions::FindHypervisorAction(m.name), nullptr) << m.name;
  }
}

}  // namespace
}  // namespace cpi
