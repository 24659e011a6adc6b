// The web view's pages (docs/webview.md): the app shell for every /ui/ page URL, its static
// files from the table compiled into the binary (server/ui/assets.hpp), and / sending a browser
// to /ui/. Data comes only from the public REST API.
#include <algorithm>
#include <string>
#include <vector>

#include "server/routes.hpp"
#include "server/ui/assets.hpp"

namespace glia::server {
namespace {

// The shell and its files may only be scripted and styled from this origin (dygraphs sets inline
// styles on the elements it draws), and framed by no page unless the server names the origins
// that may (a notebook's RunDetails).
std::string policy(const std::vector<std::string>& frame_ancestors) {
  std::string p =
      "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
      "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors";
  if (frame_ancestors.empty()) return p + " 'none'";
  for (const std::string& origin : frame_ancestors) p += " " + origin;
  return p;
}

// Whether an If-None-Match header names this ETag (a list, or *).
bool matches(const std::optional<std::string>& if_none_match, std::string_view etag) {
  if (!if_none_match) return false;
  if (*if_none_match == "*") return true;
  std::string_view list = *if_none_match;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item == etag) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

http::Response serve(const ui::Asset& asset, const http::Request& request,
                     const ServerContext& context) {
  http::Response response;
  if (matches(request.header_list("If-None-Match"), asset.etag)) {
    response.status = 304;
    response.content_type.clear();
  } else {
    response.content_type = std::string(asset.content_type);
    response.body = std::string(asset.body);
  }
  response.set_header("ETag", std::string(asset.etag));
  // Always revalidated (a 304 is a few bytes): a new glia binary's pages are never mixed with
  // an old one's cached modules.
  response.set_header("Cache-Control", "no-cache");
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("Content-Security-Policy", policy(context.ui_frame_ancestors));
  response.set_header("Referrer-Policy", "same-origin");
  return response;
}

http::Response redirect(const std::string& location) {
  http::Response response = http::Response::text("see " + location + "\n");
  response.status = 302;
  response.set_header("Location", location);
  return response;
}

const ui::Asset& shell() {
  const ui::Asset* index = ui::find_asset("index.html");
  if (!index) throw Error(ErrorKind::Internal, "the web view's index.html is not compiled in");
  return *index;
}

}  // namespace

namespace ui {

const Asset* find_asset(std::string_view path) {
  const auto all = assets();
  const auto it =
      std::find_if(all.begin(), all.end(), [&](const Asset& a) { return a.path == path; });
  return it == all.end() ? nullptr : &*it;
}

}  // namespace ui

void register_ui_routes(http::Router& router, ServerContext& context) {
  register_login_routes(router, context);
  router.add("GET", "/", [](http::Request&) { return redirect("/ui/"); });
  router.add("GET", "/ui", [&context](http::Request& r) { return serve(shell(), r, context); });
  // Files under static/ are the shell's modules and styles (a missing one is a 404); any other
  // path is a page of the app (/ui/w/WS/runs/ID): the shell, whose router draws it.
  router.add("GET", "/ui/{path...}", [&context](http::Request& r) {
    const std::string& path = r.param("path");
    if (path.starts_with("static/")) {
      const ui::Asset* asset = ui::find_asset(path);
      if (!asset) throw Error(ErrorKind::NotFound, "no web view file '" + path + "'");
      return serve(*asset, r, context);
    }
    return serve(shell(), r, context);
  });
}

}  // namespace glia::server
