// libFuzzer target: parses arbitrary bytes. Parse must never crash, and whatever it accepts must
// survive Format -> Parse unchanged, with SplitTimeRange succeeding on its WHERE.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "query/lang/format.h"
#include "query/lang/parser.h"
#include "query/lang/time_range.h"

namespace {

using telemdb::query::lang::Condition;
using telemdb::query::lang::Statement;

const std::optional<Condition>* WhereOf(const Statement& s) {
  if (const auto* select = std::get_if<telemdb::query::lang::SelectStatement>(&s)) {
    return &select->where;
  }
  if (const auto* del = std::get_if<telemdb::query::lang::DeleteStatement>(&s)) {
    return &del->where;
  }
  if (const auto* series = std::get_if<telemdb::query::lang::ShowSeriesStatement>(&s)) {
    return &series->where;
  }
  return nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  telemdb::query::lang::ParseOptions options;
  options.now_ns = 1'767'225'600'000'000'000;  // 2026-01-01T00:00:00Z
  const auto parsed = telemdb::query::lang::Parse(text, options);
  if (!parsed.ok()) return 0;
  const std::string formatted = telemdb::query::lang::Format(*parsed);
  const auto reparsed = telemdb::query::lang::Parse(formatted, options);
  if (!reparsed.ok() || !(*reparsed == *parsed)) __builtin_trap();
  if (const std::optional<Condition>* where = WhereOf(*parsed)) {
    if (!telemdb::query::lang::SplitTimeRange(*where).ok()) __builtin_trap();
  }
  return 0;
}
