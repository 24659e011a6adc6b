// Reading an endpoint's logs (endpoint_logs.hpp).
#include "glia/platform/endpoint_logs.hpp"

#include <fstream>
#include <iterator>

#include "glia/platform/endpoints.hpp"
#include "glia/platform/remote_link.hpp"

namespace glia::platform {

size_t last_lines_offset(const std::string& text, int64_t tail) {
  if (tail <= 0) return 0;
  int64_t lines = 0;
  for (size_t i = text.size(); i-- > 0;)  // a last line without its newline counts too
    if (text[i] == '\n' && i + 1 < text.size() && ++lines >= tail) return i + 1;
  return 0;
}

std::string endpoint_log_tail(Workspace& ws, const std::string& name, int64_t tail, bool access) {
  if (ws.is_remote()) return ws.link().endpoint_log_tail(name, tail, access);  // the server's
  const EndpointRecord e = get_endpoint(ws, name);                             // NotFound names it
  const EndpointDir dir = endpoint_dir(ws.root(), e.name);
  std::ifstream in(access ? dir.access_log() : dir.log(), std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return all.substr(last_lines_offset(all, tail));
}

}  // namespace glia::platform
