#include "support/loopback.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <stdexcept>

namespace cpi::testing {

LoopbackListener ListenOnLoopback() {
  LoopbackListener l{util::UniqueFd(socket(AF_INET, SOCK_STREAM, 0))};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (!l.fd || bind(l.fd.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      listen(l.fd.get(), 8) != 0 ||
      getsockname(l.fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("listening on 127.0.0.1");
  }
  l.port = ntohs(addr.sin_port);
  return l;
}

}  // namespace cpi::testing
