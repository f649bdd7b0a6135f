// The web console's files over HTTP (docs/console.md): GET / and /console/*, compiled in
// (console/assets.h). Every answer carries the console's strict Content-Security-Policy (only
// this origin's scripts, styles and connections; no inline script; no framing), no-referrer,
// and an ETag (304 to If-None-Match). The files hold no data and need no token: the page's
// script sends the token, from sessionStorage, in the Authorization header of its API calls.
//
// Thread safety: pure functions.
#ifndef TELEMDB_SERVER_CONSOLE_HTTP_H_
#define TELEMDB_SERVER_CONSOLE_HTTP_H_

#include "http/message.h"

namespace telemdb::server {

// The console's policy. Inline styles are not allowed either; the scripts set styles through
// the CSSOM only.
inline constexpr char kConsoleCsp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// Answers `req` and returns true when it asks for a console file (GET or HEAD).
bool ServeConsole(const http::Request& req, http::ResponseWriter& w);

}  // namespace telemdb::server

#endif  // TELEMDB_SERVER_CONSOLE_HTTP_H_
