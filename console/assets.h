// The web console's files (docs/console.md), compiled into telemdbd at build time by
// console/embed.py: HTML, CSS and scripts from this folder and Debian's libjs-dygraphs.
//
// Thread safety: immutable data.
#ifndef TELEMDB_CONSOLE_ASSETS_H_
#define TELEMDB_CONSOLE_ASSETS_H_

#include <string_view>

namespace telemdb::console {

struct Asset {
  std::string_view path;          // "/", "/console/app.js", ...
  std::string_view content_type;  // with charset for text
  std::string_view body;
  std::string_view etag;  // a quoted hash of the body
};

// The asset served at `path`, or null.
const Asset* FindAsset(std::string_view path);

}  // namespace telemdb::console

#endif  // TELEMDB_CONSOLE_ASSETS_H_
