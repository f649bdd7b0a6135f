#include "ingest/mqtt/topic.h"

#include "absl/strings/str_cat.h"
#include "util/absl_compat.h"
#include "util/client_text.h"

namespace telemdb::ingest::mqtt {
namespace {

constexpr std::string_view kSharePrefix = "$share/";

absl::Status Bad(std::string_view what, std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat(Sv(what), " \"", ClientText(text), "\": ", Sv(why)));
}

}  // namespace

std::vector<std::string_view> SplitLevels(std::string_view topic) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t slash = topic.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(topic.substr(start));
      return out;
    }
    out.push_back(topic.substr(start, slash - start));
    start = slash + 1;
  }
}

bool IsSharedFilter(std::string_view filter) { return filter.starts_with(kSharePrefix); }

std::string_view UnsharedFilter(std::string_view filter) {
  if (!IsSharedFilter(filter)) return filter;
  std::string_view rest = filter.substr(kSharePrefix.size());
  size_t slash = rest.find('/');
  return slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
}

absl::Status ValidateFilter(std::string_view filter) {
  if (filter.empty()) return absl::InvalidArgumentError("topic filter is empty");
  if (filter.size() > 65535) return Bad("topic filter", filter, "longer than 65,535 bytes");
  if (!IsValidUtf8(filter) || filter.find('\0') != std::string_view::npos) {
    return Bad("topic filter", filter, "not valid UTF-8 text");
  }
  if (IsSharedFilter(filter)) {
    std::string_view rest = filter.substr(kSharePrefix.size());
    size_t slash = rest.find('/');
    if (slash == 0 || slash == std::string_view::npos) {
      return Bad("topic filter", filter, "a shared subscription is $share/<group>/<filter>");
    }
    std::string_view group = rest.substr(0, slash);
    if (group.find_first_of("+#") != std::string_view::npos) {
      return Bad("topic filter", filter, "a share group name cannot hold + or #");
    }
    if (rest.size() == slash + 1) return Bad("topic filter", filter, "no filter after the group");
  }
  const std::vector<std::string_view> levels = SplitLevels(UnsharedFilter(filter));
  for (size_t i = 0; i < levels.size(); i++) {
    std::string_view l = levels[i];
    if (l.find_first_of("+#") == std::string_view::npos) continue;
    if (l == "+") continue;
    if (l == "#" && i + 1 == levels.size()) continue;
    return Bad("topic filter", filter,
               "+ and # must fill a whole level, and # must be the last level");
  }
  return absl::OkStatus();
}

absl::Status ValidateTopic(std::string_view topic) {
  if (topic.empty()) return absl::InvalidArgumentError("message has an empty topic");
  if (topic.size() > kMaxTopicBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("topic of ", topic.size(), " bytes is longer than the limit of ",
                     kMaxTopicBytes, " (\"", ClientText(topic, 64), "\")"));
  }
  if (!IsValidUtf8(topic)) return Bad("topic", topic, "not valid UTF-8");
  if (topic.find('\0') != std::string_view::npos) return Bad("topic", topic, "holds a NUL byte");
  if (topic.find_first_of("+#") != std::string_view::npos) {
    return Bad("topic", topic, "a topic name cannot hold the wildcards + or #");
  }
  return absl::OkStatus();
}

absl::StatusOr<TopicTemplate> TopicTemplate::Parse(std::string_view text) {
  TopicTemplate t;
  t.text_ = std::string(text);
  if (text.empty()) return t;
  if (!IsValidUtf8(text)) return Bad("topic template", text, "not valid UTF-8");
  const std::vector<std::string_view> levels = SplitLevels(text);
  std::vector<std::string> tags;
  for (size_t i = 0; i < levels.size(); i++) {
    std::string_view l = levels[i];
    Level level;
    if (l.empty()) return Bad("topic template", text, "has an empty level");
    if (l == "_") {
      level.kind = Kind::kSkip;
    } else if (l == "#") {
      if (i + 1 != levels.size()) return Bad("topic template", text, "# must be the last level");
      level.kind = Kind::kRest;
    } else if (l == "+") {
      return Bad("topic template", text, "use _ (skip) or {tag} instead of + in a template");
    } else if (l.front() == '{' && l.back() == '}') {
      std::string_view name = l.substr(1, l.size() - 2);
      if (name.empty() || name.find_first_of("{}") != std::string_view::npos) {
        return Bad("topic template", text, absl::StrCat("bad placeholder ", Sv(l)));
      }
      if (name == "measurement") {
        level.kind = Kind::kMeasurement;
      } else if (name == "field") {
        level.kind = Kind::kField;
      } else {
        level.kind = Kind::kTag;
        level.text = std::string(name);
      }
      for (const Level& other : t.levels_) {
        if (other.kind == level.kind && other.text == level.text) {
          return Bad("topic template", text, absl::StrCat(Sv(l), " appears twice"));
        }
      }
    } else if (l.find_first_of("{}") != std::string_view::npos) {
      return Bad("topic template", text,
                 absl::StrCat("a placeholder must fill a whole level: \"", Sv(l), "\""));
    } else {
      level.kind = Kind::kLiteral;
      level.text = std::string(l);
    }
    t.levels_.push_back(std::move(level));
  }
  return t;
}

bool TopicTemplate::has_measurement() const {
  for (const Level& l : levels_) {
    if (l.kind == Kind::kMeasurement) return true;
  }
  return false;
}

bool TopicTemplate::has_field() const {
  for (const Level& l : levels_) {
    if (l.kind == Kind::kField) return true;
  }
  return false;
}

std::vector<std::string> TopicTemplate::TagNames() const {
  std::vector<std::string> out;
  for (const Level& l : levels_) {
    if (l.kind == Kind::kTag) out.push_back(l.text);
  }
  return out;
}

absl::Status TopicTemplate::CheckAgainstFilter(std::string_view filter) const {
  if (levels_.empty()) return absl::OkStatus();
  const std::vector<std::string_view> f = SplitLevels(UnsharedFilter(filter));
  const bool template_rest = levels_.back().kind == Kind::kRest;
  const bool filter_rest = f.back() == "#";
  const size_t t_fixed = levels_.size() - (template_rest ? 1 : 0);
  const size_t f_fixed = f.size() - (filter_rest ? 1 : 0);
  auto mismatch = [&](std::string why) {
    return absl::InvalidArgumentError(absl::StrCat("topic template \"", text_,
                                                   "\" cannot match topics of filter \"",
                                                   Sv(filter), "\": ", why));
  };
  if (!filter_rest && !template_rest && t_fixed != f_fixed) {
    return mismatch(absl::StrCat("the template has ", t_fixed, " levels and the filter ", f_fixed));
  }
  if (!filter_rest && t_fixed > f_fixed) {
    return mismatch("the template has more levels than the filter");
  }
  if (!template_rest && f_fixed > t_fixed) {
    return mismatch("the filter has more levels than the template (end it with #?)");
  }
  for (size_t i = 0; i < std::min(t_fixed, f_fixed); i++) {
    if (levels_[i].kind == Kind::kLiteral && f[i] != "+" && f[i] != levels_[i].text) {
      return mismatch(absl::StrCat("level ", i + 1, " is \"", levels_[i].text,
                                   "\" in the template and \"", Sv(f[i]), "\" in the filter"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<TopicValues> TopicTemplate::Match(std::string_view topic) const {
  TopicValues v;
  if (levels_.empty()) return v;
  const std::vector<std::string_view> parts = SplitLevels(topic);
  const bool rest = levels_.back().kind == Kind::kRest;
  const size_t fixed = levels_.size() - (rest ? 1 : 0);
  if (parts.size() < fixed || (!rest && parts.size() != fixed)) {
    return absl::InvalidArgumentError(absl::StrCat("topic \"", ClientText(topic), "\" has ",
                                                   parts.size(), " levels; template \"", text_,
                                                   "\" wants ", rest ? "at least " : "", fixed));
  }
  for (size_t i = 0; i < fixed; i++) {
    const Level& l = levels_[i];
    std::string_view part = parts[i];
    if (l.kind == Kind::kLiteral) {
      if (part != l.text) {
        return absl::InvalidArgumentError(absl::StrCat(
            "topic \"", ClientText(topic), "\": level ", i + 1, " is \"", ClientText(part, 64),
            "\", template \"", text_, "\" wants \"", l.text, "\""));
      }
      continue;
    }
    if (l.kind == Kind::kSkip) continue;
    if (part.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("topic \"", ClientText(topic), "\": level ", i + 1, " is empty"));
    }
    switch (l.kind) {
      case Kind::kTag:
        v.tags.emplace_back(l.text, std::string(part));
        break;
      case Kind::kMeasurement:
        v.measurement = std::string(part);
        break;
      case Kind::kField:
        v.field = std::string(part);
        break;
      default:
        break;
    }
  }
  return v;
}

}  // namespace telemdb::ingest::mqtt
