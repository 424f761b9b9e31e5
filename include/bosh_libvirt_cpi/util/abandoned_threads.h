#pragma once

namespace cpi::util {

// Threads the process stopped waiting for and left running: a libvirt connection that did not
// answer within its timeout (src/hypervisor/virt/open.cc) keeps its thread inside virConnectOpen.
// While one is left, the process must end with _exit(), not exit(): exit()'s destructors and the
// libraries' exit handlers would run under the thread still in libvirt (src/core/main.cc,
// Finish). The counter lives in the executable, so the hypervisor module and main share it.
void AddAbandonedThread();
// Called by such a thread once it is out of libvirt and touches nothing shared any more.
void RemoveAbandonedThread();
// How many are still running.
int AbandonedThreads();

}  // namespace cpi::util
