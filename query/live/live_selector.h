// LiveSelector: which points a live consumer (subscription) wants: one measurement,
// optionally some of its fields, and tag conditions, given either in the query language (the
// WHERE of a query restricted to tags: `fleet = 'East' AND name =~ /^truck_1/`, regexes
// match anywhere unless anchored, exactly as in queries) or as structured matchers (storage
// semantics, as in ListSeries: regexes match the whole value, != also matches a series
// without the tag). Both may be given; they are ANDed.
//
// Thread safety: immutable after Create; const methods are thread-safe.
#ifndef TELEMDB_QUERY_LIVE_LIVE_SELECTOR_H_
#define TELEMDB_QUERY_LIVE_LIVE_SELECTOR_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "query/engine/predicate.h"
#include "storage/series_index.h"
#include "storage/types.h"

namespace telemdb::query {

struct LiveSelectorSpec {
  std::string measurement;          // REQUIRED
  std::vector<std::string> fields;  // empty: every field
  std::string where;                // tag conditions in the query language; empty: none
  std::vector<storage::TagMatcher> matchers;
};

class LiveSelector {
 public:
  // Errors: InvalidArgument naming what is wrong (no measurement, a reserved or overlong
  // name, a WHERE that does not parse — with its column — or that compares a tag with a
  // number, uses time or anything but tag conditions).
  static absl::StatusOr<LiveSelector> Create(LiveSelectorSpec spec);

  bool MatchesTags(const storage::TagSet& tags) const;
  bool WantsField(std::string_view name) const;
  const std::string& measurement() const { return spec_.measurement; }
  const std::vector<std::string>& fields() const { return spec_.fields; }
  // Index matchers selecting a superset of the matching series (MatchesTags decides).
  std::vector<storage::TagMatcher> IndexMatchers() const;
  // "readings[velocity,fuel_state] WHERE fleet = 'East'": for logs and errors.
  std::string Describe() const;

 private:
  LiveSelectorSpec spec_;
  std::shared_ptr<const Predicate> where_;  // null: no WHERE
};

// Parses tag conditions in the query language (a WHERE clause without `WHERE`) for
// `measurement`. Errors: InvalidArgument as LiveSelector::Create, columns counted in `text`.
absl::StatusOr<lang::Condition> ParseTagConditions(std::string_view text,
                                                   std::string_view measurement);

// True when a storage matcher accepts `tags` (storage semantics, see above).
bool StorageMatcherAccepts(const storage::TagMatcher& m, const storage::TagSet& tags);

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_LIVE_LIVE_SELECTOR_H_
