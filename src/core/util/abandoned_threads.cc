#include "bosh_libvirt_cpi/util/abandoned_threads.h"

#include <atomic>

namespace cpi::util {
namespace {

std::atomic<int> abandoned{0};

}  // namespace

void AddAbandonedThread() { abandoned.fetch_add(1); }

void RemoveAbandonedThread() { abandoned.fetch_sub(1); }

int AbandonedThreads() { return abandoned.load(); }

}  // namespace cpi::util
