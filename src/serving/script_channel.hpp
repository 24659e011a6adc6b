// The wire between the endpoint process and one Python scoring worker (glia._score_worker):
// length-framed messages over a Unix stream socket. A message is a 4-byte big-endian length L,
// then L bytes: a 4-byte big-endian length H, H bytes of a JSON header, and the body (the rest).
// Reads and writes have a deadline; nothing here raises SIGPIPE.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace glia::serving {

using Clock = std::chrono::steady_clock;

struct ChannelMessage {
  nlohmann::json header;
  std::string body;
};

enum class ChannelResult {
  Ok,
  Closed,    // the worker's end is gone (it exited): EOF, EPIPE, ECONNRESET
  TimedOut,  // the deadline passed first
  Broken,    // a malformed message, or another error (`why` says which)
};

/// Frames a message (the header as compact JSON).
std::string frame_message(const nlohmann::json& header, std::string_view body);

/// Writes all of `bytes` to the non-blocking socket `fd` before `deadline`.
ChannelResult write_all(int fd, std::string_view bytes, Clock::time_point deadline,
                        std::string& why);

/// Reads one message from the non-blocking socket `fd` before `deadline` (at most
/// `max_bytes` long).
ChannelResult read_message(int fd, Clock::time_point deadline, ChannelMessage& out,
                           std::string& why, size_t max_bytes = size_t{1} << 31);

}  // namespace glia::serving
