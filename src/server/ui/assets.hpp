// The web view's files, compiled into the binary (cmake/embed_assets.cmake writes the table from
// web/ and the Debian JavaScript libraries the pages load).
#pragma once

#include <span>
#include <string_view>

namespace glia::server::ui {

struct Asset {
  std::string_view path;  // the URL path under /ui/ ("index.html", "static/js/app.js")
  std::string_view content_type;
  std::string_view body;
  std::string_view etag;  // a strong ETag, quoted: the first 128 bits of the file's sha256
};

/// Every embedded asset.
std::span<const Asset> assets();
/// The asset at `path` (as Asset::path), or null.
const Asset* find_asset(std::string_view path);

}  // namespace glia::server::ui
