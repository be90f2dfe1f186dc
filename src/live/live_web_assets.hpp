// The dashboard's files, embedded at build time (cmake/embed_web.cmake):
// src/live/web/ and uPlot from web/node_modules (installed by tools/setup).
#pragma once

#include <span>
#include <string_view>

namespace gk::live {

struct WebAsset {
  std::string_view path;  ///< URL path, e.g. "/index.html"
  std::string_view content_type;
  std::string_view body;
};

std::span<const WebAsset> web_assets();

}  // namespace gk::live
