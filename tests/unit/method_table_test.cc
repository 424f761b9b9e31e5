// The core's method table (wire name, arguments, where it runs) and the two tables of handlers,
// the executable's and the hypervisor module's, are three lists in two binaries: these tests keep
// them the same.
#include <gtest/gtest.h>

#include <set>
#include <span>
#include <string>

#include "bosh_libvirt_cpi/actions/core_actions.h"
#include "bosh_libvirt_cpi/actions/hypervisor_actions.h"
#include "bosh_libvirt_cpi/rpc/methods.h"

namespace cpi {
namespace {

TEST(MethodTableTest, EveryMethodHasAHandlerWhereItRuns) {
  for (const rpc::Method& m : rpc::Methods()) {
    bool core = m.where == rpc::Where::kCore;
    EXPECT_EQ(actions::FindCoreAction(m.name) != nullptr, core) << m.name;
    EXPECT_EQ(actions::FindHypervisorAction(m.name) != nullptr, !core) << m.name;
  }
}

// Every row of a table of handlers is a method of the core's table that runs there.
void ExpectRowsOf(std::span<const actions::Action> table, rpc::Where where) {
  std::set<std::string> seen;
  for (const actions::Action& a : table) {
    EXPECT_TRUE(seen.insert(std::string(a.name)).second) << a.name << " is listed twice";
    EXPECT_NE(a.handler, nullptr) << a.name;
    const rpc::Method* m = rpc::FindMethod(a.name);
    ASSERT_NE(m, nullptr) << a.name << " is not in src/core/rpc/methods.cc";
    EXPECT_EQ(m->where, where) << a.name;
  }
}

TEST(MethodTableTest, EveryModuleHandlerIsAHypervisorMethodOfTheCore) {
  ExpectRowsOf(actions::HypervisorActions(), rpc::Where::kHypervisor);
}

TEST(MethodTableTest, EveryCoreHandlerIsACoreMethod) {
  ExpectRowsOf(actions::CoreActions(), rpc::Where::kCore);
}

}  // namespace
}  // namespace cpi
