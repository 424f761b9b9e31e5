// bosh-libvirt-cpi: one CPI call per process. Reads one JSON request from stdin, writes one JSON
// response to stdout, logs to stderr, exits 0 whenever a response was written.
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bosh_libvirt_cpi/cleanup/cleanup.h"
#include "bosh_libvirt_cpi/config/config.h"
#include "bosh_libvirt_cpi/cpi.h"
#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/hosts/hosts.h"
#include "bosh_libvirt_cpi/log/log.h"
#include "bosh_libvirt_cpi/rpc/dispatcher.h"
#include "bosh_libvirt_cpi/rpc/request.h"
#include "bosh_libvirt_cpi/util/abandoned_threads.h"
#include "bosh_libvirt_cpi/util/uri.h"
#include "bosh_libvirt_cpi/version.h"

namespace {

constexpr const char* kUsage =
    "Usage: bosh-libvirt-cpi [--config FILE] < request.json > response.json\n"
    "\n"
    "A BOSH Cloud Provider Interface for libvirt/KVM. Reads one CPI request (JSON) on standard\n"
    "input, performs it, and writes one JSON response on standard output; logs go to standard\n"
    "error. Without --config the built-in defaults are used (qemu:///system, storage pool\n"
    "'default', network 'default').\n"
    "\n"
    "Options:\n"
    "  --config FILE   the CPI configuration (JSON); also accepted as the only argument,\n"
    "                  except a file named like a command (cleanup): give that one as --config\n"
    "  --check-config FILE\n"
    "                  validate a configuration with the CPI's own parser and exit: 0 when it\n"
    "                  is valid and sets agent.mbus (create_vm needs it), else 1 with the reason\n"
    "  --help          show this text\n"
    "  --version       show the version\n"
    "\n"
    "Operator commands (read no request; the configuration only with --config):\n"
    "  bosh-libvirt-cpi cleanup [--dry-run] [--min-age SECONDS] [--host NAME] [--config FILE]\n"
    "                           [--help]\n"
    "      Lists the volumes of the storage pool that no BOSH CID reaches any more (left by CPI\n"
    "      calls that were killed or lost their libvirtd half-way: volumes of VMs without a\n"
    "      domain, half-uploaded stemcells, sidecars of deleted objects) and removes those older\n"
    "      than --min-age (default 3600). One line per volume on standard output. With several\n"
    "      hosts (config `hosts`), --host names the one to clean (default: the first).\n"
    "  bosh-libvirt-cpi hosts [--json] [--config FILE]\n"
    "      Asks every configured host at once and prints one line each (or a JSON array):\n"
    "      name, key, AZ, URI, reachable or why not, libvirt and QEMU versions, free memory,\n"
    "      pool space, the CPI's VM count. Exit 1 when a host did not answer.\n";

// Reads stdin to EOF. Keeps at most kMaxRequestBytes + 1 bytes (enough to tell "too large") but
// always drains the rest, so the caller never blocks writing.
bool ReadAll(std::string& out) {
  char buf[65536];
  for (;;) {
    ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
    if (n == 0) return true;
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    size_t room =
        cpi::rpc::kMaxRequestBytes + 1 - std::min(out.size(), cpi::rpc::kMaxRequestBytes + 1);
    out.append(buf, std::min(room, static_cast<size_t>(n)));
  }
}

// Ends the process once its output is written. The response went out with write(2) and every log
// record is flushed as it is written (log.cc); stdio is flushed here for the rest. What exit()
// would add are the libraries' exit handlers and destructors — for libvirt's dependencies
// (OpenSSL, GnuTLS, p11-kit, GLib) ~0.7 MiB of pages the call never needed, the largest part of
// the gap between create_vm's peak RSS and its resident set before exit (BENCHMARKS.md, peak
// RSS). They release nothing the kernel does not release anyway: connections were closed by
// the handlers, locks are file locks. Sanitized builds exit normally, so that LeakSanitizer
// still runs — unless a thread is still inside libvirt, waiting for a host that did not answer
// in time (util/abandoned_threads.h): exit()'s destructors must not run under it.
[[noreturn]] void Finish(int code) {
  std::fflush(nullptr);
#if defined(__SANITIZE_ADDRESS__)
  if (cpi::util::AbandonedThreads() > 0) _exit(code);
  std::exit(code);
#else
  _exit(code);
#endif
}

bool WriteAll(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(STDOUT_FILENO, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// The operator commands: a first argument that is one of these is the command, never a
// configuration file (a file of that name is given with --config).
constexpr std::string_view kCommands[] = {"cleanup", "hosts"};

bool IsCommand(std::string_view arg) {
  for (std::string_view c : kCommands) {
    if (arg == c) return true;
  }
  return false;
}

// Whether standard input already holds data: a non-empty file, or a pipe with bytes waiting (the
// byte read is lost, which is fine for a command that reads no input).
bool StdinHoldsData() {
  struct stat st {};
  if (fstat(STDIN_FILENO, &st) != 0) return false;
  if (S_ISREG(st.st_mode)) return st.st_size > 0;
  if (!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode)) return false;
  pollfd p{STDIN_FILENO, POLLIN, 0};
  if (poll(&p, 1, 0) != 1 || (p.revents & POLLIN) == 0) return false;
  char byte;
  return read(STDIN_FILENO, &byte, 1) == 1;
}

// `bosh-libvirt-cpi cleanup ...`: exit 0 when it ran (whatever it found), 1 when it could not run
// or a removal failed, 2 on bad usage. A request on standard input is bad usage: the caller meant
// a CPI call with a configuration file named `cleanup` (docs: --config), not the command.
int Cleanup(int argc, char** argv) {
  cpi::cleanup::Options options;
  std::optional<std::string> config_path;
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
  }
  if (argc == 2) {
    struct stat st {};
    if (stat(argv[1], &st) == 0) {
      std::fprintf(stderr,
                   "bosh-libvirt-cpi: 'cleanup' is both the cleanup command and a file here; "
                   "run 'bosh-libvirt-cpi --config ./cleanup' for a CPI call with that "
                   "configuration, or 'bosh-libvirt-cpi cleanup --config FILE' for the command\n");
      return 2;
    }
  }
  if (StdinHoldsData()) {
    std::fprintf(stderr,
                 "bosh-libvirt-cpi cleanup: standard input holds data, but the cleanup command "
                 "reads no request; for a CPI call give the configuration as --config FILE\n%s",
                 kUsage);
    return 2;
  }
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::optional<std::string_view> min_age;
    if (arg == "--dry-run") {
      options.dry_run = true;
    } else if (arg == "--min-age" && i + 1 < argc) {
      min_age = argv[++i];
    } else if (arg.rfind("--min-age=", 0) == 0) {
      min_age = arg.substr(10);
    } else if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      config_path = std::string(arg.substr(9));
    } else if (arg == "--host" && i + 1 < argc) {
      options.host = argv[++i];
    } else if (arg.rfind("--host=", 0) == 0) {
      options.host = std::string(arg.substr(7));
    } else {
      std::fprintf(stderr, "bosh-libvirt-cpi cleanup: unknown argument '%s'\n%s", argv[i], kUsage);
      return 2;
    }
    if (min_age) {
      char* end = nullptr;
      std::string text(*min_age);
      long long v = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || v < 0) {
        std::fprintf(stderr, "bosh-libvirt-cpi cleanup: --min-age needs whole seconds >= 0\n");
        return 2;
      }
      options.min_age_seconds = v;
    }
  }
  cpi::log::Init("", "cleanup");
  try {
    cpi::cleanup::Report report = cpi::RunCleanup(config_path, options);
    int failed = 0, removable = 0, kept = 0;
    for (const cpi::cleanup::Finding& f : report.findings) {
      std::printf("%s\n", cpi::cleanup::Describe(f, options.dry_run).c_str());
      if (!f.error.empty()) ++failed;
      (f.verdict == cpi::cleanup::Verdict::kRemove ? removable : kept)++;
    }
    std::fflush(stdout);
    std::fprintf(stderr,
                 "bosh-libvirt-cpi cleanup: pool '%s' on '%s': %d unreachable object(s) %s, %d "
                 "kept, %d failed (minimum age %llds)\n",
                 report.pool.c_str(), report.uri.c_str(), removable - failed,
                 options.dry_run ? "to remove (dry run)" : "removed", kept, failed,
                 static_cast<long long>(options.min_age_seconds));
    return failed == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bosh-libvirt-cpi cleanup: %s\n", e.what());
    return 1;
  }
}

// `bosh-libvirt-cpi hosts [--json] [--config FILE]`: 0 when every host answered, 1 when one did
// not (or the command could not run), 2 on bad usage.
int Hosts(int argc, char** argv) {
  std::optional<std::string> config_path;
  bool json = false;
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--json") {
      json = true;
    } else if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      config_path = std::string(arg.substr(9));
    } else {
      std::fprintf(stderr, "bosh-libvirt-cpi hosts: unknown argument '%s'\n%s", argv[i], kUsage);
      return 2;
    }
  }
  cpi::log::Init("", "hosts");
  try {
    std::vector<cpi::hosts::Status> hosts = cpi::RunHosts(config_path);
    bool all = true;
    nlohmann::json array = nlohmann::json::array();
    for (const cpi::hosts::Status& h : hosts) {
      all = all && h.reachable;
      if (json) {
        array.push_back(cpi::hosts::ToJson(h));
      } else {
        std::printf("%s\n", cpi::hosts::Describe(h).c_str());
      }
    }
    if (json) std::printf("%s\n", array.dump(2).c_str());
    return all ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bosh-libvirt-cpi hosts: %s\n", e.what());
    return 1;
  }
}

// `bosh-libvirt-cpi --check-config FILE`: the configuration as every call would read it (same
// parser, no request context), for the release's template test and for operators. 0 when valid,
// 1 otherwise; touches no hypervisor.
int CheckConfig(const std::string& path) {
  try {
    cpi::config::Config config = cpi::config::LoadFile(path, std::nullopt);
    if (config.agent.mbus.empty()) {
      std::fprintf(stderr,
                   "bosh-libvirt-cpi: configuration %s: 'agent.mbus' is not set; create_vm "
                   "writes it into every VM's agent settings and fails without it\n",
                   cpi::Quote(path).c_str());
      return 1;
    }
    if (!config.multi_host) {
      std::printf("%s: valid (uri '%s', storage pool '%s', network '%s', domain type %s)\n",
                  path.c_str(), cpi::util::RedactUri(config.libvirt.uri).c_str(),
                  config.libvirt.storage_pool.c_str(), config.libvirt.network.c_str(),
                  std::string(cpi::config::ToString(config.libvirt.domain_type)).c_str());
      return 0;
    }
    std::printf("%s: valid, %zu hosts\n", path.c_str(), config.hosts.size());
    for (const cpi::config::HostConfig& h : config.hosts) {
      std::printf(
          "  %s (key %s, az '%s'%s): uri '%s', storage pool '%s', network '%s', domain "
          "type %s\n",
          h.name.c_str(), h.key.c_str(), h.az.c_str(), h.shared ? ", shared pool" : "",
          cpi::util::RedactUri(h.libvirt.uri).c_str(), h.libvirt.storage_pool.c_str(),
          h.libvirt.network.c_str(),
          std::string(cpi::config::ToString(h.libvirt.domain_type)).c_str());
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bosh-libvirt-cpi: %s\n", e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "hosts") Finish(Hosts(argc, argv));
  if (argc > 1 && IsCommand(argv[1])) Finish(Cleanup(argc, argv));
  if (argc > 1 && std::string_view(argv[1]) == "--check-config") {
    if (argc != 3) {
      std::fprintf(stderr, "bosh-libvirt-cpi: --check-config needs exactly one FILE\n%s", kUsage);
      Finish(2);
    }
    Finish(CheckConfig(argv[2]));
  }
  cpi::rpc::Options options{.run = &cpi::RunMethod};
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--version") {
      std::printf("bosh-libvirt-cpi %s\n", cpi::kVersion);
      return 0;
    }
    if (arg == "--config" && i + 1 < argc) {
      options.config_path = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      options.config_path = std::string(arg.substr(9));
    } else if (!arg.empty() && arg[0] != '-' && !options.config_path && !IsCommand(arg)) {
      options.config_path = std::string(arg);  // the `bin/cpi <config>` wrapper convention
    } else {
      std::fprintf(stderr, "bosh-libvirt-cpi: unknown argument '%s'\n%s", argv[i], kUsage);
      return 2;
    }
  }

  std::string input;
  if (!ReadAll(input)) {
    std::fprintf(stderr, "bosh-libvirt-cpi: reading standard input: %s\n", std::strerror(errno));
    // Still answer: the caller gets a CpiError for the empty request.
    input.clear();
  }
  std::string response = cpi::rpc::Handle(input, options);
  response.push_back('\n');
  if (!WriteAll(response)) {
    std::fprintf(stderr, "bosh-libvirt-cpi: writing the response: %s\n", std::strerror(errno));
    Finish(1);
  }
  Finish(0);
}
