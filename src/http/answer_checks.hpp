// What the server adapter (server.cpp) checks and decides about an answer before cpp-httplib
// writes it. Private to src/http.
#pragma once

#include <httplib.h>

#include "glia/http/message.hpp"

namespace glia::http {

/// False (and a line on stderr naming the request and the header) when a response header holds
/// a line break: what a handler copied into it (a name a user gave) could otherwise write
/// headers or a response of its own — a bug of the handler, to be answered as a 500.
bool headers_are_single_lines(const Request& request, const Response& response);

/// Leaves in the request's `Accept-Encoding` only what cpp-httplib may use for this answer: a
/// live stream (streamed without a length) is never compressed, whose buffers would hold it back
/// until its end; otherwise gzip when accepted (named with a q above 0, or `*`) and never brotli,
/// which cpp-httplib runs at its slowest setting (a 1,000-run JSON page: 0.88 s with br, 0.16 s
/// gzipped, 0.04 s as it is).
void choose_encoding(httplib::Headers& request_headers, const Response& response);

/// Makes `response`'s stream (if any) end its answer — aborted, a line on stderr naming the
/// request — when it throws: it runs after the handler, where an exception would reach the
/// worker thread and end the whole server (std::terminate). A live stream reads the store for as
/// long as a page is open; a failure there is that answer's alone.
void guard_stream(const Request& request, Response& response);

}  // namespace glia::http
