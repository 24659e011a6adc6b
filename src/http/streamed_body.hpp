// A streaming route's request body (Request::read_body) over cpp-httplib's content reader: the
// route's limit counted as bytes arrive, and what became of the body, for the adapter to decide
// whether the connection can serve another request.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <functional>
#include <memory>

#include "glia/http/message.hpp"

namespace glia::http {

class StreamedBody {
 public:
  enum class State {
    NotRead,  // the route never read it
    Read,     // read to its end by the route
    Stopped,  // reading stopped before its end: what follows on the connection is body
    Drained,  // the route stopped part way and the rest was read and dropped
  };

  /// `announced`: whether the request has a body (else it reads as empty and whole).
  StreamedBody(const httplib::ContentReader& reader, uint64_t limit, bool announced);

  /// What Request::read_body is set to. Reads once; a second call says how the first ended.
  std::function<bool(const ChunkReceiver&)> reader() const;

  State state() const { return shared_->state; }
  /// Whether the client sent more than the limit (then the answer is 413).
  bool over_limit() const { return shared_->over; }

 private:
  struct Shared {
    const httplib::ContentReader* reader;
    uint64_t limit;
    uint64_t received = 0;
    bool over = false;
    State state = State::NotRead;
  };
  std::shared_ptr<Shared> shared_;
};

}  // namespace glia::http
