// tcpBytesAcked (net/client_detail.h) in a TU of its own: it needs the kernel's struct
// tcp_info (<linux/tcp.h>), which clashes with glibc's shorter one (<netinet/tcp.h>, which
// Asio includes).
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <optional>

namespace voxa::net::detail {

std::optional<uint64_t> tcpBytesAcked(int fd) {
    struct tcp_info info {};
    socklen_t len = sizeof info;
    if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return std::nullopt;
    // Kernels before 4.1 return a shorter struct without the field.
    if (len < offsetof(struct tcp_info, tcpi_bytes_acked) + sizeof info.tcpi_bytes_acked)
        return std::nullopt;
    return info.tcpi_bytes_acked;
}

}  // namespace voxa::net::detail
