// Length-framed messages to and from a Python scoring worker (script_channel.hpp).
#include "serving/script_channel.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace glia::serving {

namespace {

void put_u32(std::string& out, uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(b, 4);
}

uint32_t get_u32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}

// Waits until `fd` is ready for `events` or the deadline passes.
ChannelResult wait_for(int fd, short events, Clock::time_point deadline, std::string& why) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return ChannelResult::TimedOut;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count() + 1, 1 << 30)));
    if (n > 0) return ChannelResult::Ok;  // readable, writable, or hung up: the call says which
    if (n < 0 && errno != EINTR) {
      why = std::string("poll: ") + std::strerror(errno);
      return ChannelResult::Broken;
    }
  }
}

bool is_closed_error(int err) {
  return err == EPIPE || err == ECONNRESET;
}

// Reads exactly `n` bytes into `out` (appended).
ChannelResult read_exact(int fd, size_t n, std::string& out, Clock::time_point deadline,
                         std::string& why) {
  const size_t start = out.size();
  out.resize(start + n);
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::recv(fd, out.data() + start + got, n - got, 0);
    if (r > 0) {
      got += static_cast<size_t>(r);
      continue;
    }
    if (r == 0) return ChannelResult::Closed;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      const ChannelResult w = wait_for(fd, POLLIN, deadline, why);
      if (w != ChannelResult::Ok) return w;
      continue;
    }
    if (is_closed_error(errno)) return ChannelResult::Closed;
    why = std::string("recv: ") + std::strerror(errno);
    return ChannelResult::Broken;
  }
  return ChannelResult::Ok;
}

}  // namespace

std::string frame_message(const nlohmann::json& header, std::string_view body) {
  // Bytes that are not UTF-8 (a request header's, which HTTP allows) as U+FFFD, never an
  // exception that would answer the client 500.
  const std::string head = header.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(8 + head.size() + body.size());
  put_u32(out, static_cast<uint32_t>(4 + head.size() + body.size()));
  put_u32(out, static_cast<uint32_t>(head.size()));
  out += head;
  out.append(body.data(), body.size());
  return out;
}

ChannelResult write_all(int fd, std::string_view bytes, Clock::time_point deadline,
                        std::string& why) {
  while (!bytes.empty()) {
    const ssize_t w = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (w >= 0) {
      bytes.remove_prefix(static_cast<size_t>(w));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      const ChannelResult r = wait_for(fd, POLLOUT, deadline, why);
      if (r != ChannelResult::Ok) return r;
      continue;
    }
    if (is_closed_error(errno)) return ChannelResult::Closed;
    why = std::string("send: ") + std::strerror(errno);
    return ChannelResult::Broken;
  }
  return ChannelResult::Ok;
}

ChannelResult read_message(int fd, Clock::time_point deadline, ChannelMessage& out,
                           std::string& why, size_t max_bytes) {
  std::string buf;
  ChannelResult r = read_exact(fd, 4, buf, deadline, why);
  if (r != ChannelResult::Ok) return r;
  const uint32_t length = get_u32(buf.data());
  if (length < 4 || length > max_bytes) {
    why = "a message of " + std::to_string(length) + " bytes";
    return ChannelResult::Broken;
  }
  buf.clear();
  r = read_exact(fd, length, buf, deadline, why);
  if (r != ChannelResult::Ok) return r;
  const uint32_t head = get_u32(buf.data());
  if (head > length - 4) {
    why = "a header longer than its message";
    return ChannelResult::Broken;
  }
  try {
    out.header = nlohmann::json::parse(buf.begin() + 4, buf.begin() + 4 + head);
  } catch (const nlohmann::json::exception& e) {
    why = std::string("a header that is not JSON: ") + e.what();
    return ChannelResult::Broken;
  }
  if (!out.header.is_object()) {
    why = "a header that is not a JSON object";
    return ChannelResult::Broken;
  }
  out.body.assign(buf, 4 + head, std::string::npos);
  return ChannelResult::Ok;
}

}  // namespace glia::serving
