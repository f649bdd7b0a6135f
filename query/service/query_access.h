// Who may run which statement, and what listings show them: the read rights of the shared
// auth layer (auth/scopes.h) applied to statements, for every front door that runs queries
// (gRPC QueryService, HTTP /query).
//
//   SELECT, SHOW ... FROM m    need a read right on m (`read`, or `read:<glob>` matching m)
//   DELETE                     also needs `admin`
//   SHOW ... without FROM      any read right; the answer lists only the measurements the
//                              identity may read (ScopedQuerier), so a dashboard token scoped
//                              to `read:readings` sees `readings` and nothing else
//   FROM _alerts               any read right; a restricted reader sees only the alerts of
//                              rules over measurements it may read (auth/reserved.h)
//
// Thread safety: AuthorizeStatement is a pure function; a ScopedQuerier is as thread-safe as
// the querier it wraps.
#ifndef TELEMDB_QUERY_SERVICE_QUERY_ACCESS_H_
#define TELEMDB_QUERY_SERVICE_QUERY_ACCESS_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "auth/reserved.h"
#include "auth/scopes.h"
#include "query/engine/backend.h"
#include "query/engine/querier.h"
#include "query/lang/ast.h"

namespace telemdb::query {

// Errors: PermissionDenied naming the right that is missing.
absl::Status AuthorizeStatement(const auth::Identity& who, const lang::Statement& statement);

// The measurement a statement reads; empty when it spans every measurement.
std::string StatementMeasurement(const lang::Statement& statement);

// True when `who` may read every measurement (an unrestricted `read`).
bool ReadsEverything(const auth::Identity& who);

// A view of `base` restricted to the measurements `who` may read: listings leave the others
// out and Select finds nothing in them. REQUIRES: base and who outlive it.
class ScopedQuerier : public Querier {
 public:
  ScopedQuerier(Querier* base, const auth::Identity* who)
      : base_(base), who_(who), all_(ReadsEverything(*who)) {}

  absl::StatusOr<std::vector<SeriesId>> Select(const storage::SeriesSelector& selector) override;
  absl::StatusOr<SeriesMeta> Describe(SeriesId id) override { return base_->Describe(id); }
  absl::Status DescribeKeys(absl::Span<const SeriesId> ids, KeyFn fn) override {
    return base_->DescribeKeys(ids, fn);
  }
  absl::StatusOr<std::unique_ptr<QueryCursor>> Open(SeriesId id, int64_t start,
                                                    int64_t end) override {
    return base_->Open(id, start, end);
  }
  absl::StatusOr<std::optional<LastValue>> Last(SeriesId id) override { return base_->Last(id); }
  std::vector<std::string> Measurements() override;
  std::vector<std::pair<std::string, ValueType>> Fields(std::string_view measurement) override;
  std::vector<std::string> TagKeys(std::string_view measurement) override;
  std::vector<std::string> TagValues(std::string_view key, std::string_view measurement,
                                     size_t limit) override;
  absl::StatusOr<uint64_t> Delete(const DeleteRequest& request) override;

 private:
  bool Allowed(std::string_view measurement) const {
    return all_ || auth::MayReadMeasurement(*who_, measurement);
  }
  // `_alerts` for a restricted reader: only the series of rules it may read.
  bool RowFiltered(std::string_view measurement) const {
    return !all_ && measurement == auth::kAlertsMeasurement;
  }
  std::vector<SeriesId> VisibleAlertSeries();
  Querier* base_;
  const auth::Identity* who_;
  const bool all_;
};

// The wrap a QueryBackend puts around its querier for `who` (backend.h). REQUIRES: *who
// outlives every querier the wrap makes.
inline QuerierWrap ScopeWrap(const auth::Identity* who) {
  return [who](Querier& base) -> std::unique_ptr<Querier> {
    return std::make_unique<ScopedQuerier>(&base, who);
  };
}

}  // namespace telemdb::query

#endif  // TELEMDB_QUERY_SERVICE_QUERY_ACCESS_H_
