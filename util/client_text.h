// ClientText: bytes a client sent (names, tag values, query text, a peer's header), made safe
// to quote in an error message, a log line or an audit record: at most `max_bytes` bytes of
// the input are kept, invalid UTF-8 and control characters become `\xNN`, and a cut input
// ends in `...[N more bytes]`. The result is always valid UTF-8, never longer than about
// 4 x max_bytes + 32 bytes, and never throws.
//
// Why: a 1 MiB tag value quoted whole in a status message is larger than a gRPC client's
// metadata limit (the client then sees RESOURCE_EXHAUSTED about metadata instead of the
// reason), and invalid UTF-8 in a JSON audit record makes a strict encoder throw.
//
// Thread safety: pure functions.
#ifndef TELEMDB_UTIL_CLIENT_TEXT_H_
#define TELEMDB_UTIL_CLIENT_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace telemdb {

// Default: how much client text one quote carries.
inline constexpr size_t kClientTextMax = 256;

std::string ClientText(std::string_view s, size_t max_bytes = kClientTextMax);

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF).
bool IsValidUtf8(std::string_view s);
// The offset of the first byte of `s` that does not start a well-formed UTF-8 sequence;
// std::string_view::npos when `s` is valid.
size_t InvalidUtf8Offset(std::string_view s);

// The longest prefix of `s` of at most `max_bytes` bytes that does not end inside a UTF-8
// sequence (for cutting text that is already valid UTF-8).
std::string_view Utf8Prefix(std::string_view s, size_t max_bytes);

}  // namespace telemdb

#endif  // TELEMDB_UTIL_CLIENT_TEXT_H_
