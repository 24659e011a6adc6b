// Bytes from a file or from user input, made safe to quote in a one-line message. Engine and
// platform both use it (IDX/npy/JSON readers, Keras configs, job YAML, asset names) and the CLI
// applies it again to every message it prints; escaping twice changes nothing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace glia {

/// Valid UTF-8 is kept as it is, except what would break the line or the terminal: `\n`, `\r`
/// and `\t` become those two-character escapes; other C0/C1 control characters, DEL, the Unicode
/// line/paragraph separators and bidirectional controls, and every byte that is not part of
/// well-formed UTF-8 become `\xNN` (one per byte). Backslashes are kept, so the result is
/// printable and escape_bytes(escape_bytes(s)) == escape_bytes(s). With `max_bytes`, at most
/// that many input bytes are shown (cut at a character boundary), followed by "...".
std::string escape_bytes(std::string_view bytes, size_t max_bytes = std::string_view::npos);

/// escape_bytes in single quotes, at most `max_bytes` input bytes: 'text'.
std::string quote_bytes(std::string_view bytes, size_t max_bytes = 80);

}  // namespace glia
