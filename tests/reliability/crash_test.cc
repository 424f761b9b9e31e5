// Issue 6, item 2: a CPI process killed with SIGKILL in the middle of create_vm,
// create_stemcell, attach_disk, detach_disk or delete_vm leaves state that a later call can
// handle: retries complete or undo the work, and `bosh-libvirt-cpi cleanup` finds and removes
// exactly the objects no CID reaches any more (only when old enough).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "bosh_libvirt_cpi/config/config.h"
#include "bosh_libvirt_cpi/disk/disk_metadata.h"
#include "bosh_libvirt_cpi/host/host.h"
#include "bosh_libvirt_cpi/virt/domain.h"
#include "bosh_libvirt_cpi/vm/domain_spec.h"
#include "reliability/reliability_support.h"
#include "support/cpi_request.h"
#include "support/libvirt_world.h"

namespace cpi::testing::reliability {
namespace {

namespace fs = std::filesystem;

class ReliabilityCrashTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(LibvirtAvailable()) << "libvirtd is not running; run scripts/setup.sh";
    world_ = new LibvirtWorld("relcr");
    stemcell_ = AddStemcellWithSidecar(world_->conn(), world_->pool());
  }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }

  static std::vector<std::string> Sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  }
  static std::vector<std::string> Volumes() { return Sorted(world_->Volumes()); }

  json CreateVmArgs(const std::string& ip_suffix = "20") {
    return {"agent-crash",
            stemcell_,
            {{"memory", 128}, {"ephemeral_disk", {{"size", 16}}}},
            ManualNetwork(world_->network(), world_->subnet_prefix() + "." + ip_suffix),
            json::array(),
            {{"bosh", {{"password", "x"}}}}};
  }

  std::string NewVm(const std::string& ip_suffix = "30") {
    json r = CallCpi(world_->config_path(), "create_vm", CreateVmArgs(ip_suffix));
    EXPECT_TRUE(r["error"].is_null()) << r.dump();
    return r["error"].is_null() ? r["result"][0].get<std::string>() : "";
  }

  std::string NewDisk() {
    json r = CallCpi(world_->config_path(), "create_disk", {16, json::object(), nullptr});
    EXPECT_TRUE(r["error"].is_null()) << r.dump();
    return r["result"];
  }

  // How often a persistent disk is in each definition of the domain.
  std::pair<int, int> Attached(const std::string& vm, const std::string& disk) {
    int config = 0, live = 0;
    for (const auto& [target, serial] : DiskTargets(world_->conn(), vm, true))
      config += serial == disk;
    for (const auto& [target, serial] : DiskTargets(world_->conn(), vm, false))
      live += serial == disk;
    return {config, live};
  }

  static std::vector<std::string> Lines(const std::string& text) {
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
      out.push_back(text.substr(start, nl - start));
    }
    return out;
  }

  static LibvirtWorld* world_;
  static std::string stemcell_;
};

LibvirtWorld* ReliabilityCrashTest::world_ = nullptr;
std::string ReliabilityCrashTest::stemcell_;

// Killed right after each of its three volumes appears, create_vm leaves volumes of a VM that has
// no domain. cleanup lists them (dry run), keeps them while they are young, removes them with
// --min-age 0, and the next create_vm works.
TEST_F(ReliabilityCrashTest, KilledCreateVmLeavesVolumesThatCleanupRemoves) {
  std::vector<std::string> before = Volumes();
  for (const std::string suffix : {"-root", "-ephemeral", "-config"}) {
    SCOPED_TRACE("killed when " + suffix + " appeared");
    PoolWatcher watcher(world_->pool_dir());
    auto p = CpiProcess::Start(world_->config_path(), "create_vm", CreateVmArgs());
    std::optional<std::string> seen = watcher.WaitFor(
        [&](const std::string& n) {
          return n.rfind("vm-", 0) == 0 && n.size() > suffix.size() &&
                 n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0;
        },
        std::chrono::seconds(30));
    p->Signal(SIGKILL);
    ASSERT_TRUE(seen.has_value()) << p->Response().dump();
    EXPECT_EQ(p->Wait().exit_code, 128 + SIGKILL);
    std::string vm = seen->substr(0, 39);
    if (!world_->DomainsNamed(vm).empty()) {
      // Slower than the CPI (a loaded machine): the domain got defined before the kill, still
      // marked as unfinished; cleanup removes it with its volumes. Only the last volume can race.
      ASSERT_EQ(suffix, std::string("-config")) << "killed after the domain was defined";
      ProcessResult removed = RunCleanup(world_->config_path(), {"--min-age", "0"});
      EXPECT_TRUE(Contains(removed.out, "removed " + vm + ": domain")) << removed.out;
      EXPECT_EQ(Volumes(), before);
      RecordProperty("killed_after_define", suffix);
      continue;
    }

    std::vector<std::string> leftovers;
    for (const std::string& v : Volumes()) {
      if (v.rfind(vm, 0) == 0) leftovers.push_back(v);
    }
    ASSERT_FALSE(leftovers.empty());

    ProcessResult young = RunCleanup(world_->config_path(), {"--dry-run"});
    ASSERT_EQ(young.exit_code, 0) << young.err;
    for (const std::string& v : leftovers) {
      EXPECT_TRUE(Contains(young.out, "kept " + v + ": volume of VM '" + vm + "'")) << young.out;
    }
    ProcessResult dry = RunCleanup(world_->config_path(), {"--dry-run", "--min-age", "0"});
    ASSERT_EQ(dry.exit_code, 0) << dry.err;
    EXPECT_EQ(Lines(dry.out).size(), leftovers.size()) << dry.out;
    for (const std::string& v : leftovers) {
      EXPECT_TRUE(Contains(dry.out, "would remove " + v + ": volume of VM '" + vm +
                                        "'; no domain '" + vm + "' exists"))
          << dry.out;
    }
    EXPECT_EQ(Volumes().size(), before.size() + leftovers.size());

    ProcessResult removed = RunCleanup(world_->config_path(), {"--min-age", "0"});
    ASSERT_EQ(removed.exit_code, 0) << removed.err;
    for (const std::string& v : leftovers) {
      EXPECT_TRUE(Contains(removed.out, "removed " + v + ":")) << removed.out;
    }
    EXPECT_EQ(Volumes(), before);
    // The killed process's lock files are gone too (cleanup removes stale ones).
    EXPECT_TRUE(FilesIn(world_->lock_dir()).empty());
  }
  std::string vm = NewVm();
  EXPECT_TRUE(CallCpi(world_->config_path(), "delete_vm", {vm})["error"].is_null());
  EXPECT_EQ(Volumes(), before);
}

// Killed once its domain is defined (while libvirt starts it), create_vm leaves a domain that BOSH
// never got the CID of, still carrying the CPI's "creating" marker. cleanup keeps it while young,
// then destroys and undefines it and removes its volumes; nothing of the VM stays.
TEST_F(ReliabilityCrashTest, KilledCreateVmAfterDefiningLeavesADomainThatCleanupRemoves) {
  std::vector<std::string> before = Volumes();
  PoolWatcher watcher(world_->pool_dir());
  auto p = CpiProcess::Start(world_->config_path(), "create_vm", CreateVmArgs("22"));
  std::optional<std::string> config_volume =
      watcher.WaitFor([](const std::string& n) { return n.rfind("vm-", 0) == 0 && n.size() == 46; },
                      std::chrono::seconds(30));  // vm-<uuid>-config
  ASSERT_TRUE(config_volume.has_value()) << p->Response().dump();
  std::string vm = config_volume->substr(0, 39);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!world_->conn().FindDomain(vm) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  p->Signal(SIGKILL);
  ASSERT_EQ(p->Wait().exit_code, 128 + SIGKILL) << "create_vm answered before the kill";
  std::optional<virt::DomainPtr> dom = world_->conn().FindDomain(vm);
  ASSERT_TRUE(dom.has_value()) << "no domain " << vm << " was defined within 30 s";
  ASSERT_TRUE(virt::GetDomainMetadata(dom->get(), vm::kCreatingNamespace, vm).has_value())
      << "the marker is removed only right before create_vm answers";

  ProcessResult young = RunCleanup(world_->config_path(), {"--dry-run"});
  EXPECT_TRUE(Contains(young.out, "kept " + vm + ": domain of an unfinished create_vm"))
      << young.out;
  EXPECT_FALSE(Contains(young.out, vm + "-root")) << young.out;  // in use by the kept domain
  ProcessResult removed = RunCleanup(world_->config_path(), {"--min-age", "0"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  EXPECT_TRUE(Contains(removed.out, "removed " + vm + ": domain of an unfinished create_vm"))
      << removed.out;
  EXPECT_TRUE(Contains(removed.out, "removed " + vm + "-root: volume of VM")) << removed.out;
  EXPECT_TRUE(world_->DomainsNamed(vm).empty());
  EXPECT_EQ(Volumes(), before);
  EXPECT_TRUE(FilesIn(world_->lock_dir()).empty());
  // The address is free again for the next create_vm.
  std::string next = NewVm("22");
  EXPECT_TRUE(CallCpi(world_->config_path(), "delete_vm", {next})["error"].is_null());
}

// Killed half-way through the upload, create_stemcell leaves a stemcell volume without its
// sidecar: cleanup knows it as a half upload; a new create_stemcell works.
TEST_F(ReliabilityCrashTest, KilledCreateStemcellLeavesAHalfUploadThatCleanupRemoves) {
  std::string dir = "/tmp/" + world_->pool() + "-img";
  fs::create_directories(dir);
  // 96 MiB of random data: the upload takes long enough to be caught in the middle.
  Sh("head -c 100663296 /dev/urandom > " + dir + "/root.img && tar cf " + dir + "/image -C " + dir +
     " root.img && rm " + dir + "/root.img");
  json props = {{"disk_format", "raw"}, {"disk", 96}};
  std::vector<std::string> before = Volumes();

  PoolWatcher watcher(world_->pool_dir());
  auto p = CpiProcess::Start(world_->config_path(), "create_stemcell", {dir + "/image", props});
  std::optional<std::string> writing = watcher.WaitFor(
      [](const std::string& n) { return n.rfind("sc-", 0) == 0; }, std::chrono::seconds(30),
      /*on_write=*/true);
  ASSERT_TRUE(writing.has_value()) << p->Response().dump();
  // Well into the upload, not still creating the volume.
  EXPECT_TRUE(
      WaitForAllocated(world_->pool_dir() + "/" + *writing, 16u << 20, std::chrono::seconds(30)));
  p->Signal(SIGKILL);
  ASSERT_EQ(p->Wait().exit_code, 128 + SIGKILL) << "the upload finished before the kill";
  std::string half = *writing;
  EXPECT_FALSE(fs::exists(world_->pool_dir() + "/" + half + "-props"));

  ProcessResult dry = RunCleanup(world_->config_path(), {"--dry-run", "--min-age", "0"});
  EXPECT_TRUE(Contains(dry.out, "would remove " + half + ": half-uploaded stemcell; no sidecar '" +
                                    half + "-props'"))
      << dry.out;
  ProcessResult removed = RunCleanup(world_->config_path(), {"--min-age", "0"});
  EXPECT_TRUE(Contains(removed.out, "removed " + half)) << removed.out;
  EXPECT_EQ(Volumes(), before);

  json again = CallCpi(world_->config_path(), "create_stemcell", {dir + "/image", props});
  ASSERT_TRUE(again["error"].is_null()) << again.dump();
  std::string cid = again["result"];
  // A complete stemcell is never a cleanup candidate.
  EXPECT_FALSE(
      Contains(RunCleanup(world_->config_path(), {"--dry-run", "--min-age", "0"}).out, cid));
  EXPECT_TRUE(CallCpi(world_->config_path(), "delete_stemcell", {cid})["error"].is_null());
  fs::remove_all(dir);
}

// attach_disk killed at any moment: the retry returns the hint and the disk is in both
// definitions exactly once, with a target of its own; no lock stays held.
TEST_F(ReliabilityCrashTest, KilledAttachDiskIsCompletedByTheRetry) {
  std::string vm = NewVm("21");
  ASSERT_FALSE(vm.empty());
  std::set<std::string> targets;
  for (int delay_ms : {0, 3, 8, 15, 30, 60, 120}) {
    SCOPED_TRACE("killed after " + std::to_string(delay_ms) + " ms");
    std::string disk = NewDisk();
    auto p = CpiProcess::Start(world_->config_path(), "attach_disk", {vm, disk});
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    p->Signal(SIGKILL);
    p->Wait();
    json retry = CallCpi(world_->config_path(), "attach_disk", {vm, disk});
    ASSERT_TRUE(retry["error"].is_null()) << retry.dump();
    EXPECT_EQ(retry["result"], json({{"path", "/dev/disk/by-id/virtio-" + disk}}));
    EXPECT_EQ(Attached(vm, disk), std::make_pair(1, 1));
    for (const auto& [target, serial] : DiskTargets(world_->conn(), vm, true)) {
      if (serial == disk) {
        EXPECT_TRUE(targets.insert(target).second) << target;
      }
    }
    EXPECT_TRUE(FilesIn(world_->lock_dir()).empty());
  }
  EXPECT_TRUE(CallCpi(world_->config_path(), "delete_vm", {vm})["error"].is_null());
}

// detach_disk (a stopped VM: the definition alone) killed at any moment: the retry finishes it
// (or answers DiskNotAttached when the killed call had finished), and the disk is gone.
TEST_F(ReliabilityCrashTest, KilledDetachDiskIsFinishedByTheRetry) {
  std::string vm = NewVm("22");
  ASSERT_FALSE(vm.empty());
  auto dom = world_->conn().FindDomain(vm);
  virt::DestroyDomain(dom->get(), vm);
  for (int delay_ms : {0, 3, 8, 15, 30, 60}) {
    SCOPED_TRACE("killed after " + std::to_string(delay_ms) + " ms");
    std::string disk = NewDisk();
    ASSERT_TRUE(CallCpi(world_->config_path(), "attach_disk", {vm, disk})["error"].is_null());
    auto p = CpiProcess::Start(world_->config_path(), "detach_disk", {vm, disk});
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    p->Signal(SIGKILL);
    p->Wait();
    json retry = CallCpi(world_->config_path(), "detach_disk", {vm, disk});
    EXPECT_TRUE(retry["error"].is_null() || ErrorType(retry) == "Bosh::Clouds::DiskNotAttached")
        << retry.dump();
    EXPECT_EQ(Attached(vm, disk), std::make_pair(0, 0));
    EXPECT_TRUE(CallCpi(world_->config_path(), "delete_disk", {disk})["error"].is_null());
  }
  EXPECT_TRUE(CallCpi(world_->config_path(), "delete_vm", {vm})["error"].is_null());
}

// delete_vm killed at any moment: the retry finishes it; no domain or volume of the VM is left.
TEST_F(ReliabilityCrashTest, KilledDeleteVmIsFinishedByTheRetry) {
  std::vector<std::string> before = Volumes();
  for (int delay_ms : {0, 10, 40, 150}) {
    SCOPED_TRACE("killed after " + std::to_string(delay_ms) + " ms");
    std::string vm = NewVm("23");
    ASSERT_FALSE(vm.empty());
    auto p = CpiProcess::Start(world_->config_path(), "delete_vm", {vm});
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    p->Signal(SIGKILL);
    p->Wait();
    EXPECT_TRUE(CallCpi(world_->config_path(), "delete_vm", {vm})["error"].is_null());
    EXPECT_TRUE(world_->DomainsNamed(vm).empty());
    EXPECT_EQ(Volumes(), before);
  }
}

// Issue 17, defect 4: set_disk_metadata deleted the old sidecar before it wrote the new one, so a
// kill in between left no metadata, or a volume of zeros. It is killed here at chosen moments
// of a replacement: the instant the new slot volume appears; frozen (SIGSTOP) there, then
// killed; once the upload has written into the slot; and 0-40 ms after it started; each with a
// small value and with one of 900 KiB (14 upload chunks, so a kill lands mid-upload). What the
// CPI reads back (disk::ReadDiskMetadata) is always the old value or the new one, never neither;
// after an answer it is the new one.
TEST_F(ReliabilityCrashTest, KilledSetDiskMetadataLeavesTheOldOrTheNewValue) {
  config::Config config = config::Load(world_->ConfigJson(), world_->config_path(), std::nullopt);
  std::string disk = NewDisk();
  auto stored = [&]() -> json {
    host::Host host = host::Host::Open(config);
    return disk::ReadDiskMetadata(host, disk).value_or(json());
  };
  auto round_of = [](const json& v) { return v.is_object() ? v.value("round", "?") : "none"; };
  auto is_slot = [&](const std::string& n) {
    return n == disk + "-meta" || n == disk + "-meta-alt";
  };
  enum Moment { kSlotCreated, kSlotCreatedFrozen, kSlotWritten, kDelay };
  struct Try {
    Moment moment;
    int delay_ms;
  };
  std::vector<Try> tries = {{kSlotCreated, 0}, {kSlotCreatedFrozen, 0}, {kSlotWritten, 0}};
  for (int ms : {0, 2, 5, 10, 20, 40}) tries.push_back({kDelay, ms});

  json current;  // no metadata yet
  int round = 0, kept_old = 0, got_new = 0;
  for (bool big : {false, true}) {
    for (const Try& t : tries) {
      ++round;
      SCOPED_TRACE("round " + std::to_string(round) + ", moment " + std::to_string(t.moment) +
                   ", " + std::to_string(t.delay_ms) + " ms, " + (big ? "900 KiB" : "small"));
      json next = {{"round", std::to_string(round)}};
      if (big) next["pad"] = std::string(900 << 10, 'x');
      PoolWatcher watcher(world_->pool_dir());
      auto p = CpiProcess::Start(world_->config_path(), "set_disk_metadata", {disk, next});
      if (t.moment == kDelay) {
        std::this_thread::sleep_for(std::chrono::milliseconds(t.delay_ms));
      } else {
        std::optional<std::string> slot = watcher.WaitFor(is_slot, std::chrono::seconds(30));
        ASSERT_TRUE(slot.has_value()) << p->Response().dump().substr(0, 500);
        if (t.moment == kSlotCreatedFrozen) {
          p->Signal(SIGSTOP);
          std::this_thread::sleep_for(std::chrono::milliseconds(200));  // libvirtd finishes
        } else if (t.moment == kSlotWritten) {
          WaitForAllocated(world_->pool_dir() + "/" + *slot, 1, std::chrono::seconds(30));
        }
      }
      p->Signal(SIGKILL);
      bool answered = p->Wait().exit_code == 0;
      json now = stored();
      EXPECT_TRUE(now == current || now == next)
          << "read back round " << round_of(now) << ", before: " << round_of(current);
      if (answered) {
        EXPECT_EQ(round_of(now), round_of(next)) << "answered, yet not stored";
      }
      (now == next ? got_new : kept_old) += 1;
      current = now;
    }
  }
  RecordProperty("kept_old_value", kept_old);
  RecordProperty("got_new_value", got_new);
  EXPECT_GT(kept_old, 0) << "no kill landed before the new value was complete";

  // A complete call after all that stores its value and leaves one slot; delete_disk removes it.
  ASSERT_TRUE(
      CallCpi(world_->config_path(), "set_disk_metadata", {disk, {{"round", "last"}}})["error"]
          .is_null());
  EXPECT_EQ(stored(), json({{"round", "last"}}));
  std::vector<std::string> vols = Volumes();
  EXPECT_EQ(std::count_if(vols.begin(), vols.end(), is_slot), 1);
  EXPECT_TRUE(CallCpi(world_->config_path(), "delete_disk", {disk})["error"].is_null());
  vols = Volumes();
  EXPECT_EQ(std::count_if(vols.begin(), vols.end(), is_slot), 0);
}

// Issue 17, defect 6: a create_disk killed after libvirt made the volume left a disk whose CID
// never reached BOSH, and `cleanup` could not tell it from an orphaned disk the Director owns.
// create_disk now makes an empty mark volume first and removes it last. Killed the instant its
// mark appears, the instant its disk appears (frozen there, then killed), and 0-100 ms after the
// disk appeared (a 50 GiB disk, as reported): whenever it did not answer and the mark is there,
// `cleanup` keeps the leftovers while young, lists them with --min-age 0 and removes disk and
// mark; an answered create_disk's disk is never listed.
TEST_F(ReliabilityCrashTest, KilledCreateDiskLeavesADiskThatCleanupRemoves) {
  std::vector<std::string> before = Volumes();
  auto is_disk = [](const std::string& n) { return n.size() == 20 && n.rfind("disk-", 0) == 0; };
  auto is_mark = [](const std::string& n) {
    return n.size() == 29 && n.rfind("disk-", 0) == 0 && n.compare(20, 9, "-creating") == 0;
  };
  int disks_listed = 0, marks_alone = 0, answered = 0, unmarked = 0;
  // -2: killed when the mark appears; -1: frozen when the disk appears, then killed; else killed
  // that many ms after the disk appeared.
  for (int delay_ms : {-2, -1, 0, 1, 2, 5, 10, 20, 35, 50, 100}) {
    SCOPED_TRACE("delay " + std::to_string(delay_ms) + " ms");
    PoolWatcher watcher(world_->pool_dir());
    auto p =
        CpiProcess::Start(world_->config_path(), "create_disk", {51200, json::object(), nullptr});
    std::optional<std::string> seen =
        watcher.WaitFor(delay_ms == -2 ? std::function<bool(const std::string&)>(is_mark)
                                       : std::function<bool(const std::string&)>(is_disk),
                        std::chrono::seconds(30));
    if (delay_ms == -1) {
      p->Signal(SIGSTOP);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));  // libvirtd finishes the disk
    } else if (delay_ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    }
    p->Signal(SIGKILL);
    ASSERT_TRUE(seen.has_value()) << p->Response().dump();
    std::string disk = seen->substr(0, 20);
    std::string mark = disk + "-creating";
    bool done = p->Wait().exit_code == 0;
    bool marked = fs::exists(world_->pool_dir() + "/" + mark);
    bool has_disk = fs::exists(world_->pool_dir() + "/" + disk);
    ProcessResult dry = RunCleanup(world_->config_path(), {"--dry-run", "--min-age", "0"});
    ASSERT_EQ(dry.exit_code, 0) << dry.err;
    if (done || !marked) {
      // Answered (the disk is BOSH's), or killed after the mark went and before the answer (a
      // disk nobody can tell from an orphaned one): never a cleanup candidate.
      EXPECT_FALSE(marked) << "answered with the mark still there";
      EXPECT_FALSE(Contains(dry.out, disk)) << dry.out;
      (done ? answered : unmarked) += 1;
      EXPECT_TRUE(CallCpi(world_->config_path(), "delete_disk", {disk})["error"].is_null());
      EXPECT_EQ(Volumes(), before);
      continue;
    }
    ProcessResult young = RunCleanup(world_->config_path(), {"--dry-run"});
    EXPECT_TRUE(Contains(young.out, "kept " + mark + ": mark of an unfinished create_disk"))
        << young.out;
    EXPECT_TRUE(Contains(dry.out, "would remove " + mark)) << dry.out;
    if (has_disk) {
      ++disks_listed;
      EXPECT_TRUE(Contains(young.out, "kept " + disk + ": disk of an unfinished create_disk"))
          << young.out;
      EXPECT_TRUE(Contains(dry.out, "would remove " + disk + ": disk of an unfinished create_disk"))
          << dry.out;
      // The disk before its mark: a disk without its mark would look like the Director's.
      EXPECT_LT(dry.out.find(disk + ":"), dry.out.find(mark + ":")) << dry.out;
    } else {
      ++marks_alone;
      EXPECT_TRUE(Contains(dry.out, "the disk was never made")) << dry.out;
    }
    ProcessResult removed = RunCleanup(world_->config_path(), {"--min-age", "0"});
    ASSERT_EQ(removed.exit_code, 0) << removed.err;
    EXPECT_TRUE(Contains(removed.out, "removed " + mark)) << removed.out;
    EXPECT_EQ(Volumes(), before);
  }
  RecordProperty("disks_listed", disks_listed);
  RecordProperty("marks_alone", marks_alone);
  RecordProperty("answered", answered);
  RecordProperty("killed_after_the_mark_went", unmarked);
  EXPECT_GE(disks_listed, 1) << "the frozen case always leaves the disk beside its mark";
  EXPECT_GE(marks_alone, 1) << "killed at the mark, the disk was never made";
  // A create_disk that answers leaves no mark and is no candidate.
  std::string kept = NewDisk();
  EXPECT_FALSE(fs::exists(world_->pool_dir() + "/" + kept + "-creating"));
  EXPECT_FALSE(
      Contains(RunCleanup(world_->config_path(), {"--dry-run", "--min-age", "0"}).out, kept));
  EXPECT_TRUE(CallCpi(world_->config_path(), "delete_disk", {kept})["error"].is_null());
}

}  // namespace
}  // namespace cpi::testing::reliability
