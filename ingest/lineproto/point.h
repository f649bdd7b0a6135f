// The zero-copy view of one parsed line-protocol point, as handed to a Parser's callback.
//
// Every string_view points either into the caller's input text (the common case: no escapes)
// or into the Parser's scratch buffer (names or strings that had escapes, reordered tag keys).
// Either way a Point and everything it refers to is valid only during the callback that
// receives it; copy what you keep (ColumnarBatcher does). Plain structs; no thread safety.
#ifndef TELEMDB_INGEST_LINEPROTO_POINT_H_
#define TELEMDB_INGEST_LINEPROTO_POINT_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "storage/types.h"

namespace telemdb::lineproto {

// One tag, unescaped.
struct Tag {
  std::string_view key;
  std::string_view value;
};

// A typed field value. Exactly one member is meaningful, chosen by `type`:
// kFloat -> f, kInt -> i, kBool -> i (0 or 1), kString -> s (unescaped UTF-8).
struct FieldValue {
  storage::ValueType type = storage::ValueType::kFloat;
  double f = 0;
  int64_t i = 0;
  std::string_view s;
};

// One field, unescaped key.
struct Field {
  std::string_view key;
  FieldValue value;
};

struct Point {
  std::string_view measurement;  // unescaped, non-empty
  // Canonical identity of (measurement, sorted tags): the line-protocol spelling with every
  // component fully escaped (`\` before `,` ` ` `=` `\`) and tags sorted by key. Two points
  // have the same series key iff they have the same measurement and tag set. In the common
  // case (tags already sorted, no backslashes) this is a view of the input line itself.
  std::string_view series_key;
  std::span<const Tag> tags;      // sorted by key; keys unique
  std::span<const Field> fields;  // in line order; at least one; keys unique
  int64_t timestamp_ns = 0;       // scaled to ns; ParseOptions::now_ns when the line had none
  bool has_timestamp = false;     // false: the line carried no timestamp
  int64_t line_number = 0;        // 1-based, counted across Parser::Parse calls
};

}  // namespace telemdb::lineproto

#endif  // TELEMDB_INGEST_LINEPROTO_POINT_H_
