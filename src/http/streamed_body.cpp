// A streamed request body: counted against its route's limit, and drained when its route stops
// reading part way (see read()).
#include "http/streamed_body.hpp"

#include <chrono>
#include <exception>

namespace glia::http {

namespace {

// How long the rest of a body its route stopped reading is read and dropped (nginx's
// lingering_timeout is alike); a client still sending after that has its connection closed.
constexpr auto kDrainFor = std::chrono::seconds(5);

}  // namespace

StreamedBody::StreamedBody(const httplib::ContentReader& reader, uint64_t limit, bool announced)
    : shared_(std::make_shared<Shared>(Shared{&reader, limit})) {
  if (!announced) shared_->state = State::Read;
}

std::function<bool(const ChunkReceiver&)> StreamedBody::reader() const {
  return [s = shared_](const ChunkReceiver& receive) {
    if (s->state != State::NotRead) return s->state == State::Read;  // no body, or read already
    s->state = State::Stopped;                                       // unless read through
    // A receiver that stops (or throws: a full disk) part way does not end the reading at once:
    // the rest of the body is read and dropped for up to kDrainFor, so that the answer reaches
    // the client. Closing a socket with unread bytes resets it, and a client still sending may
    // then lose the answer (and see only "connection reset by peer").
    bool refused = false;
    std::exception_ptr thrown;
    std::chrono::steady_clock::time_point drain_until;
    const bool ok = (*s->reader)([&](const char* data, size_t size) {
      if (refused) return std::chrono::steady_clock::now() < drain_until;
      s->received += size;
      if (s->received > s->limit) {
        s->over = true;
        return false;
      }
      try {
        if (receive(data, size)) return true;
      } catch (...) {
        thrown = std::current_exception();
      }
      refused = true;
      drain_until = std::chrono::steady_clock::now() + kDrainFor;
      return true;
    });
    s->state = !ok ? State::Stopped : refused ? State::Drained : State::Read;
    if (thrown) std::rethrow_exception(thrown);
    return ok && !refused;
  };
}

}  // namespace glia::http
