#include "plugins/sdk/routing.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <set>

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>
#include <google/protobuf/util/time_util.h>
#include <toml++/toml.h>

#include "clients/lib/event_text.h"
#include "daemon/base/utf8.h"
#include "plugins/sdk/default_templates.h"

namespace zhiban::plugin {
namespace {

namespace pb = google::protobuf;
using FieldPath = std::vector<const pb::FieldDescriptor*>;

const pb::OneofDescriptor* BodyOneof() { return v1::Event::descriptor()->FindOneofByName("body"); }

std::string TopicOf(const pb::FieldDescriptor* f) {
  std::string t = f->name();
  if (auto i = t.find('_'); i != std::string::npos) t[i] = '.';
  return t;
}

bool IsStaff(const pb::FieldDescriptor* f) {
  return f->type() == pb::FieldDescriptor::TYPE_MESSAGE &&
         f->message_type() == v1::Staff::descriptor();
}

bool IsTimestamp(const pb::FieldDescriptor* f) {
  return f->type() == pb::FieldDescriptor::TYPE_MESSAGE &&
         f->message_type()->full_name() == "google.protobuf.Timestamp";
}

// Staff records a body names as its subject: every Staff field (not `leader`), to depth 3.
void StaffFields(const pb::Descriptor* d, FieldPath prefix, std::vector<FieldPath>* out,
                 int depth = 0) {
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    if (f->type() != pb::FieldDescriptor::TYPE_MESSAGE) continue;
    FieldPath p = prefix;
    p.push_back(f);
    if (IsStaff(f)) {
      if (f->name() != "leader") out->push_back(p);
    } else if (depth < 2 && !f->is_repeated() && !IsTimestamp(f)) {
      StaffFields(f->message_type(), p, out, depth + 1);
    }
  }
}

std::string FieldList(const pb::Descriptor* d, const std::string& prefix, int depth = 0) {
  std::vector<std::string> names;
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    if (f->type() == pb::FieldDescriptor::TYPE_MESSAGE && !IsTimestamp(f)) {
      if (depth < 1 && !f->is_repeated())
        names.push_back(FieldList(f->message_type(), prefix + f->name() + ".", depth + 1));
    } else {
      names.push_back(prefix + f->name());
    }
  }
  return fmt::format("{}", fmt::join(names, ", "));
}

const std::set<std::string>& EventLevel() {
  static const std::set<std::string> names = {"seq",   "id",   "topic",      "center_id",
                                              "actor", "time", "center_name"};
  return names;
}

// One piece of a pattern: literal text or a parameter, perhaps inside an
// optional segment `{?…}` (shown only when every parameter in it has a value).
struct Piece {
  std::string literal;
  std::string param;  // empty: literal
  int segment = -1;   // >= 0: the number of the optional segment it is in
};

Result<std::vector<Piece>> ParsePattern(const std::string& where, const std::string& s) {
  std::vector<Piece> out;
  std::string lit;
  int segments = 0;
  int segment = -1;  // the open segment
  bool segment_has_param = false;
  auto flush = [&] {
    if (!lit.empty()) out.push_back({std::move(lit), {}, segment});
    lit.clear();
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '{' && i + 1 < s.size() && s[i + 1] == '{') {
      lit += '{';
      ++i;
    } else if (s[i] == '}' && i + 1 < s.size() && s[i + 1] == '}') {
      lit += '}';
      ++i;
    } else if (s[i] == '{' && i + 1 < s.size() && s[i + 1] == '?') {
      if (segment >= 0) {
        return Status::InvalidArgument(
            where, fmt::format("optional segments '{{?…}}' do not nest, in \"{}\"", s));
      }
      flush();
      segment = segments++;
      segment_has_param = false;
      ++i;
    } else if (s[i] == '}' && segment >= 0) {
      if (!segment_has_param) {
        return Status::InvalidArgument(
            where, fmt::format("optional segment without a parameter (it would never vanish) "
                               "in \"{}\"",
                               s));
      }
      flush();
      segment = -1;
    } else if (s[i] == '{') {
      auto close = s.find('}', i);
      if (close == std::string::npos) {
        return Status::InvalidArgument(where, fmt::format("unclosed '{{' in \"{}\"", s));
      }
      flush();
      std::string name = s.substr(i + 1, close - i - 1);
      if (name.empty())
        return Status::InvalidArgument(where, fmt::format("empty parameter '{{}}' in \"{}\"", s));
      out.push_back({{}, std::move(name), segment});
      segment_has_param = segment >= 0 || segment_has_param;
      i = close;
    } else {
      lit += s[i];
    }
  }
  if (segment >= 0) {
    return Status::InvalidArgument(where, fmt::format("unclosed '{{?' in \"{}\"", s));
  }
  flush();
  return out;
}

std::string Scalar(const pb::Message& m, const pb::FieldDescriptor* f, int index) {
  const auto* r = m.GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_STRING:
      return rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
    case pb::FieldDescriptor::CPPTYPE_INT32:
      return std::to_string(rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
    case pb::FieldDescriptor::CPPTYPE_INT64:
      return std::to_string(rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f));
    case pb::FieldDescriptor::CPPTYPE_UINT32:
      return std::to_string(rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
    case pb::FieldDescriptor::CPPTYPE_UINT64:
      return std::to_string(rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f));
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
      return fmt::format("{}", rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f));
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
      return fmt::format("{}", rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f));
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      return (rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "是" : "否";
    case pb::FieldDescriptor::CPPTYPE_ENUM:
      return (rep ? r->GetRepeatedEnum(m, f, index) : r->GetEnum(m, f))->name();
    case pb::FieldDescriptor::CPPTYPE_MESSAGE: {
      if (!rep && !r->HasField(m, f)) return "未定";
      const auto& sub = rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f);
      return client::LocalMinute(static_cast<const pb::Timestamp&>(sub));
    }
  }
  return {};
}

// A parameter resolved against one body type.
struct Resolved {
  std::string event_level;  // non-empty: an Event field
  FieldPath path;           // otherwise: body field path
};

Result<Resolved> Resolve(const pb::FieldDescriptor* body, const std::string& param) {
  if (EventLevel().count(param)) return Resolved{param, {}};
  Resolved r;
  const pb::Descriptor* d = body->message_type();
  size_t start = 0;
  for (;;) {
    const size_t dot = param.find('.', start);
    const std::string part =
        param.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const auto* f = d ? d->FindFieldByName(part) : nullptr;
    if (!f) {
      return Status::NotFound(
          "template", fmt::format("parameter {{{}}} is not a field of {} (fields: {}; and {})",
                                  param, TopicOf(body), FieldList(body->message_type(), ""),
                                  fmt::join(EventLevel(), ", ")));
    }
    r.path.push_back(f);
    if (dot == std::string::npos) {
      if (f->type() == pb::FieldDescriptor::TYPE_MESSAGE && !IsTimestamp(f)) {
        return Status::InvalidArgument(
            "template",
            fmt::format("parameter {{{}}} of {} is a record, not a value; "
                        "name one of its fields (fields: {})",
                        param, TopicOf(body), FieldList(f->message_type(), param + ".")));
      }
      return r;
    }
    if (f->type() != pb::FieldDescriptor::TYPE_MESSAGE || f->is_repeated() || IsTimestamp(f)) {
      return Status::InvalidArgument(
          "template",
          fmt::format("parameter {{{}}} of {}: '{}' has no fields", param, TopicOf(body), part));
    }
    d = f->message_type();
    start = dot + 1;
  }
}

std::string Value(const v1::Event& e, const Resolved& r) {
  if (!r.event_level.empty()) {
    const auto& n = r.event_level;
    if (n == "seq") return std::to_string(e.seq());
    if (n == "id") return e.id();
    if (n == "topic") return e.topic();
    if (n == "center_id") return e.center_id();
    if (n == "actor") return e.actor();
    if (n == "center_name") return e.center_name().empty() ? e.center_id() : e.center_name();
    return client::LocalMinute(e.time());
  }
  const pb::Message* m = &e;
  const auto* body = e.GetReflection()->GetOneofFieldDescriptor(e, BodyOneof());
  m = &e.GetReflection()->GetMessage(e, body);
  for (size_t i = 0; i + 1 < r.path.size(); ++i) m = &m->GetReflection()->GetMessage(*m, r.path[i]);
  const auto* leaf = r.path.back();
  if (!leaf->is_repeated()) return Scalar(*m, leaf, 0);
  std::vector<std::string> parts;
  for (int i = 0; i < m->GetReflection()->FieldSize(*m, leaf); ++i)
    parts.push_back(Scalar(*m, leaf, i));
  return fmt::format("{}", fmt::join(parts, "、"));
}

// Whether a parameter has something to say for this event: a text that is
// not empty, a time that was set, a list with an entry, an enum other than
// its *_UNSPECIFIED, every record on the way there present. Numbers and
// yes/no always have one (0 is a count).
bool HasValue(const v1::Event& e, const Resolved& r) {
  if (!r.event_level.empty()) {
    const auto& n = r.event_level;
    if (n == "center_id" || n == "center_name")
      return !e.center_id().empty() || !e.center_name().empty();
    if (n == "actor") return !e.actor().empty();
    if (n == "time") return e.has_time();
    return true;
  }
  const auto* body = e.GetReflection()->GetOneofFieldDescriptor(e, BodyOneof());
  if (!body) return false;
  const pb::Message* m = &e.GetReflection()->GetMessage(e, body);
  for (size_t i = 0; i + 1 < r.path.size(); ++i) {
    if (!m->GetReflection()->HasField(*m, r.path[i])) return false;
    m = &m->GetReflection()->GetMessage(*m, r.path[i]);
  }
  const auto* leaf = r.path.back();
  const auto* refl = m->GetReflection();
  if (leaf->is_repeated()) return refl->FieldSize(*m, leaf) > 0;
  switch (leaf->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_STRING:
      return !refl->GetString(*m, leaf).empty();
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      return refl->HasField(*m, leaf);
    case pb::FieldDescriptor::CPPTYPE_ENUM:
      return refl->GetEnumValue(*m, leaf) != 0;
    default:
      return true;
  }
}

void CollectStaff(const pb::Message& m, const FieldPath& path, size_t i,
                  std::vector<v1::Staff>* out) {
  const auto* r = m.GetReflection();
  const auto* f = path[i];
  if (i + 1 == path.size()) {
    if (f->is_repeated()) {
      for (int k = 0; k < r->FieldSize(m, f); ++k)
        out->push_back(static_cast<const v1::Staff&>(r->GetRepeatedMessage(m, f, k)));
    } else if (r->HasField(m, f)) {
      out->push_back(static_cast<const v1::Staff&>(r->GetMessage(m, f)));
    }
    return;
  }
  if (r->HasField(m, f)) CollectStaff(r->GetMessage(m, f), path, i + 1, out);
}

struct Pattern {
  std::vector<Piece> pieces;
  std::map<const pb::FieldDescriptor*, std::vector<Resolved>> per_body;  // resolved per topic
};

struct Route {
  std::string name;
  std::vector<const pb::FieldDescriptor*> bodies;
  std::set<std::string> centers;
  std::vector<std::string> to;
  std::string template_name;
  bool urgent = false;
  // starts_within_hours / starts_beyond_hours, in seconds (-1: not set), and
  // each body's `shift` field they read.
  int64_t within_s = -1, beyond_s = -1;
  std::map<const pb::FieldDescriptor*, const pb::FieldDescriptor*> shift_of;
  // `unless`: each body's bool field that, when true, skips the route.
  std::map<const pb::FieldDescriptor*, const pb::FieldDescriptor*> unless_of;
  std::map<const pb::FieldDescriptor*, std::vector<FieldPath>> subjects;
  std::map<const pb::FieldDescriptor*, const pb::FieldDescriptor*> leaders;
};

struct CompiledTemplate {
  Template t;
  std::vector<Pattern> texts;  // the variants of `text`, in order
  std::vector<std::pair<std::string, Pattern>> params;
};

// Whether every parameter outside the optional segments has a value.
// The staff record a parameter reads from (`previous.name`: `previous`),
// as its place in the body and the person's id; empty when none or unset.
std::pair<std::string, std::string> PersonOf(const v1::Event& e, const Resolved& r) {
  if (!r.event_level.empty()) return {};
  const auto* body = e.GetReflection()->GetOneofFieldDescriptor(e, BodyOneof());
  if (!body) return {};
  const pb::Message* m = &e.GetReflection()->GetMessage(e, body);
  std::string place;
  for (size_t i = 0; i + 1 < r.path.size(); ++i) {
    if (!m->GetReflection()->HasField(*m, r.path[i])) return {};
    m = &m->GetReflection()->GetMessage(*m, r.path[i]);
    place += r.path[i]->name() + ".";
    if (r.path[i]->message_type() == v1::Staff::descriptor())
      return {place, static_cast<const v1::Staff*>(m)->id()};
  }
  return {};
}

// Whether every parameter outside the optional segments has a value, and
// no person is named through two records (a shift changed from 李娜 to
// 李娜, a backup who is also the leader told): the next variant names them once.
bool Fits(const v1::Event& e, const pb::FieldDescriptor* body, const Pattern& p) {
  const auto& resolved = p.per_body.at(body);
  std::map<std::string, std::string> place_of;  // person id -> record
  size_t k = 0;
  for (const auto& piece : p.pieces) {
    if (piece.param.empty()) continue;
    const Resolved& r = resolved[k++];
    if (piece.segment >= 0) continue;
    if (!HasValue(e, r)) return false;
    auto [place, id] = PersonOf(e, r);
    if (id.empty()) continue;
    auto [it, added] = place_of.emplace(id, place);
    if (!added && it->second != place) return false;
  }
  return true;
}

// The first variant that fits the event, else the last one.
const Pattern& Choose(const v1::Event& e, const pb::FieldDescriptor* body,
                      const std::vector<Pattern>& variants) {
  for (const auto& p : variants) {
    if (Fits(e, body, p)) return p;
  }
  return variants.back();
}

// `blanks`, if given, gets each parameter outside an optional segment that
// had no value (HasValue) and so printed empty or as 未定.
std::string RenderPattern(const v1::Event& e, const pb::FieldDescriptor* body, const Pattern& p,
                          std::vector<std::string>* blanks = nullptr) {
  const auto& resolved = p.per_body.at(body);
  // An optional segment shows when each of its parameters has a value.
  std::vector<bool> shown;
  size_t k = 0;
  for (const auto& piece : p.pieces) {
    if (piece.segment >= static_cast<int>(shown.size())) shown.resize(piece.segment + 1, true);
    if (piece.param.empty()) continue;
    if (piece.segment >= 0 && !HasValue(e, resolved[k])) shown[piece.segment] = false;
    ++k;
  }
  std::string out;
  k = 0;
  for (const auto& piece : p.pieces) {
    const bool show = piece.segment < 0 || shown[piece.segment];
    if (piece.param.empty()) {
      if (show) out += piece.literal;
      continue;
    }
    const Resolved& r = resolved[k++];
    if (!show) continue;
    if (blanks && piece.segment < 0 && !HasValue(e, r)) blanks->push_back(piece.param);
    // Text from the event shows on one line, whatever an older zhiband
    // let into it: a value cannot forge a line of the message.
    const std::string v = Value(e, r);
    out += FindUnsafeText(v) == std::string_view::npos ? v : EscapeForLine(v, v.size() * 8);
  }
  return out;
}

Status Compile(const std::string& where, const pb::FieldDescriptor* body, Pattern* p) {
  if (p->per_body.count(body)) return {};
  std::vector<Resolved> rs;
  for (const auto& piece : p->pieces) {
    if (piece.param.empty()) continue;
    auto r = Resolve(body, piece.param);
    if (!r.ok()) return Status::InvalidArgument(where, r.status().message());
    rs.push_back(std::move(*r));
  }
  p->per_body[body] = std::move(rs);
  return {};
}

v1::Recipient FromStaff(const v1::Staff& s) {
  v1::Recipient r;
  r.set_staff_id(s.id());
  r.set_name(s.name());
  r.set_phone(s.phone());
  r.set_wecom_user_id(s.wecom_user_id());
  return r;
}

std::string RecipientKey(const v1::Recipient& r) {
  if (!r.staff_id().empty()) return r.staff_id();
  if (!r.phone().empty()) return r.phone();
  if (!r.wecom_user_id().empty()) return r.wecom_user_id();
  return r.name();
}

template <typename T>
Result<T> Get(const toml::node_view<const toml::node>& n, const std::string& where, T fallback,
              bool required = false) {
  if (!n) {
    if (required) return Status::InvalidArgument(where, fmt::format("{} is required", where));
    return fallback;
  }
  if (auto v = n.value<T>()) return *v;
  return Status::InvalidArgument(where, fmt::format("{} has the wrong type", where));
}

Result<std::vector<std::string>> Strings(const toml::node_view<const toml::node>& n,
                                         const std::string& where) {
  std::vector<std::string> out;
  if (!n) return out;
  const auto* arr = n.as_array();
  if (!arr)
    return Status::InvalidArgument(where, fmt::format("{} must be an array of strings", where));
  for (const auto& v : *arr) {
    auto s = v.value<std::string>();
    if (!s)
      return Status::InvalidArgument(where, fmt::format("{} must be an array of strings", where));
    out.push_back(*s);
  }
  return out;
}

std::string Where(const std::string& source, const toml::node& n, const std::string& what) {
  return fmt::format("{}:{}: {}", source, n.source().begin.line, what);
}

// A template's `text`: one pattern, or its variants (an array, first that
// fits is used; routing.h). A provider's approved template has one text.
Result<std::vector<std::string>> Texts(const toml::node_view<const toml::node>& n,
                                       const std::string& where, const ChannelNeeds& needs) {
  std::vector<std::string> out;
  if (auto one = n.value<std::string>()) {
    out.push_back(*one);
  } else if (n.as_array()) {
    if (!needs.provider_template_key.empty()) {
      return Status::InvalidArgument(
          "templates", fmt::format("{}: the {} channel sends one approved template ({}): text is "
                                   "one string, not variants",
                                   where, needs.channel, needs.provider_template_key));
    }
    ZB_ASSIGN_OR_RETURN(out, Strings(n, where + ".text"));
  } else if (n) {
    return Status::InvalidArgument("templates",
                                   where + ": text is a string, or an array of strings (variants)");
  }
  if (out.empty()) return Status::InvalidArgument("templates", where + ": text is required");
  if (out.size() > kMaxTextVariants) {
    return Status::InvalidArgument("templates", fmt::format("{}: {} variants of text; at most {}",
                                                            where, out.size(), kMaxTextVariants));
  }
  for (const auto& t : out) {
    if (t.empty()) return Status::InvalidArgument("templates", where + ": an empty text");
  }
  return out;
}

std::string BuiltinNames() {
  std::vector<std::string> names;
  for (const auto& d : DefaultRoutes()) names.push_back(d.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

Status CompileTexts(const std::string& where, CompiledTemplate* ct) {
  ct->texts.clear();
  for (const auto& text : ct->t.texts) {
    ZB_ASSIGN_OR_RETURN(auto pieces, ParsePattern(where, text));
    ct->texts.push_back(Pattern{std::move(pieces), {}});
  }
  return {};
}

}  // namespace

std::vector<std::string> KnownTopics() {
  std::vector<std::string> out;
  const auto* body = BodyOneof();
  for (int i = 0; i < body->field_count(); ++i) {
    if (body->field(i)->name() != "heartbeat") out.push_back(TopicOf(body->field(i)));
  }
  return out;
}

struct Router::Impl {
  ChannelNeeds needs;
  // The Recipient field a message needs (needs.contact_field); null: none.
  const pb::FieldDescriptor* contact = nullptr;
  std::vector<Route> routes;
  std::map<std::string, CompiledTemplate> templates;
  std::map<std::string, std::vector<v1::Recipient>> groups;
  mutable std::atomic<uint64_t> unreachable{0};
};

Router::Router(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Router::~Router() = default;
size_t Router::route_count() const { return impl_->routes.size(); }
uint64_t Router::unreachable() const { return impl_->unreachable.load(); }

Result<std::unique_ptr<Router>> Router::Parse(const toml::table& config, const ChannelNeeds& needs,
                                              const std::string& source) {
  auto impl = std::make_unique<Impl>();
  impl->needs = needs;
  if (!needs.contact_field.empty()) {
    impl->contact = v1::Recipient::descriptor()->FindFieldByName(needs.contact_field);
    if (!impl->contact || impl->contact->is_repeated() ||
        impl->contact->cpp_type() != pb::FieldDescriptor::CPPTYPE_STRING) {
      return Status::InvalidArgument(  // a programming error of the plugin: its tests parse
          "contact_field", fmt::format("the {} channel's contact field '{}' is not a text field "
                                       "of zhiban.v1.Recipient",
                                       needs.channel, needs.contact_field));
    }
  }
  const auto* body = BodyOneof();

  // Groups.
  if (const auto* groups = config["groups"].as_table()) {
    for (const auto& [name, node] : *groups) {
      const std::string g(name.str());
      const auto* members = node.as_table() ? (*node.as_table())["members"].as_array() : nullptr;
      if (!members)
        return Status::InvalidArgument(
            "groups", Where(source, node, fmt::format("groups.{} needs members = [...]", g)));
      auto& list = impl->groups[g];
      for (const auto& m : *members) {
        const auto* t = m.as_table();
        if (!t)
          return Status::InvalidArgument(
              "groups",
              Where(source, m,
                    fmt::format("groups.{}.members: each member is {{ name = ..., phone = ... }}",
                                g)));
        for (const auto& [k, _] : *t) {
          if (k != "name" && k != "phone" && k != "wecom_user_id") {
            return Status::InvalidArgument(
                "groups",
                Where(source, m,
                      fmt::format("groups.{}: unknown member key '{}' (name, phone, wecom_user_id)",
                                  g, k.str())));
          }
        }
        v1::Recipient r;
        r.set_name((*t)["name"].value_or(std::string()));
        r.set_phone((*t)["phone"].value_or(std::string()));
        r.set_wecom_user_id((*t)["wecom_user_id"].value_or(std::string()));
        list.push_back(std::move(r));
      }
    }
  }

  // Templates.
  if (const auto* templates = config["templates"].as_table()) {
    for (const auto& [name, node] : *templates) {
      const std::string tn(name.str());
      const auto* t = node.as_table();
      if (!t)
        return Status::InvalidArgument(
            "templates", Where(source, node, fmt::format("templates.{} must be a table", tn)));
      const bool provider = !needs.provider_template_key.empty();
      std::set<std::string> known = {"text"};
      if (provider) known.insert({needs.provider_template_key, needs.provider_params_key});
      for (const auto& [k, v] : *t) {
        if (!known.count(std::string(k.str())) && !needs.accepts_other_channels) {
          return Status::InvalidArgument(
              "templates",
              Where(source, v,
                    fmt::format("templates.{}: unknown key '{}' (the {} channel reads {})", tn,
                                k.str(), needs.channel, fmt::join(known, ", "))));
        }
      }
      CompiledTemplate ct;
      ct.t.name = tn;
      const std::string where = Where(source, node, "templates." + tn);
      ZB_ASSIGN_OR_RETURN(ct.t.texts, Texts((*t)["text"], where, needs));
      ZB_RETURN_IF_ERROR(CompileTexts(where, &ct));
      if (provider) {
        const std::string& tkey = needs.provider_template_key;
        const std::string& pkey = needs.provider_params_key;
        ct.t.provider_template = (*t)[tkey].value_or(std::string());
        ZB_ASSIGN_OR_RETURN(auto params, Strings((*t)[pkey], where + "." + pkey));
        for (const auto& p : params) {
          const auto eq = p.find('=');
          if (eq == std::string::npos || eq == 0) {
            return Status::InvalidArgument(
                "templates",
                fmt::format("{}: {} entry \"{}\" is not variable={{parameter}}", where, pkey, p));
          }
          ZB_ASSIGN_OR_RETURN(auto pat, ParsePattern(where, p.substr(eq + 1)));
          ct.t.provider_params.emplace_back(p.substr(0, eq), p.substr(eq + 1));
          ct.params.emplace_back(p.substr(0, eq), Pattern{std::move(pat), {}});
        }
        if (ct.t.provider_template.empty() || ct.params.empty()) {
          return Status::InvalidArgument(
              "templates",
              fmt::format("{}: the {} channel needs {} (the approved template id) and {} (its "
                          "variables, in order)",
                          where, needs.channel, tkey, pkey));
        }
      }
      impl->templates.emplace(tn, std::move(ct));
    }
  }

  // Routes.
  const auto* routes = config["route"].as_array();
  if (!routes || routes->empty()) {
    return Status::InvalidArgument(
        "route", fmt::format("{}: no [[route]]: this plugin would send nothing", source));
  }
  for (const auto& node : *routes) {
    const auto* t = node.as_table();
    if (!t)
      return Status::InvalidArgument("route", Where(source, node, "[[route]] must be a table"));
    Route r;
    r.name = (*t)["name"].value_or(fmt::format("route{}", impl->routes.size() + 1));
    const std::string where = Where(source, node, "route " + r.name);
    for (const auto& [k, v] : *t) {
      static const std::set<std::string_view> keys = {"name",
                                                      "topics",
                                                      "centers",
                                                      "to",
                                                      "template",
                                                      "urgent",
                                                      "starts_within_hours",
                                                      "starts_beyond_hours",
                                                      "unless"};
      if (!keys.count(k.str())) {
        return Status::InvalidArgument(
            "route", Where(source, v,
                           fmt::format("route {}: unknown key '{}' (name, topics, centers, to, "
                                       "template, urgent, starts_within_hours, "
                                       "starts_beyond_hours, unless)",
                                       r.name, k.str())));
      }
    }
    ZB_ASSIGN_OR_RETURN(auto topics, Strings((*t)["topics"], where + ".topics"));
    if (topics.empty()) return Status::InvalidArgument("route", where + ": topics is required");
    for (const auto& topic : topics) {
      size_t before = r.bodies.size();
      for (int i = 0; i < body->field_count(); ++i) {
        const auto* f = body->field(i);
        const std::string ft = TopicOf(f);
        if (f->name() == "heartbeat") continue;
        const bool match =
            topic.ends_with(".*") ? ft.starts_with(topic.substr(0, topic.size() - 1)) : ft == topic;
        if (match && std::find(r.bodies.begin(), r.bodies.end(), f) == r.bodies.end())
          r.bodies.push_back(f);
      }
      if (r.bodies.size() == before) {
        return Status::InvalidArgument(
            "route", fmt::format("{}: unknown topic '{}' (known: {})", where, topic,
                                 fmt::join(KnownTopics(), ", ")));
      }
    }
    ZB_ASSIGN_OR_RETURN(auto centers, Strings((*t)["centers"], where + ".centers"));
    r.centers.insert(centers.begin(), centers.end());
    ZB_ASSIGN_OR_RETURN(auto to, Strings((*t)["to"], where + ".to"));
    if (to.empty())
      return Status::InvalidArgument("route",
                                     where + ": to is required (subject, leader, group:<name>)");
    r.to = to;
    ZB_ASSIGN_OR_RETURN(auto urgent, Get<bool>((*t)["urgent"], where + ".urgent", false));
    r.urgent = urgent;
    for (auto [key, out] : {std::pair{"starts_within_hours", &r.within_s},
                            std::pair{"starts_beyond_hours", &r.beyond_s}}) {
      ZB_ASSIGN_OR_RETURN(auto hours, Get<int64_t>((*t)[key], where + "." + key, -1));
      if ((*t).contains(key) && (hours < 0 || hours > 24 * 366)) {
        return Status::InvalidArgument(
            "route",
            fmt::format("{}.{}: {} is not a number of hours from 0 to 8784", where, key, hours));
      }
      *out = hours < 0 ? -1 : hours * 3600;
    }
    if (r.within_s >= 0 || r.beyond_s >= 0) {
      for (const auto* b : r.bodies) {
        const auto* sf = b->message_type()->FindFieldByName("shift");
        if (!sf || sf->message_type() != v1::Shift::descriptor()) {
          return Status::InvalidArgument(
              "route", fmt::format("{}: starts_within_hours / starts_beyond_hours read the "
                                   "event's shift, and {} carries none",
                                   where, TopicOf(b)));
        }
        r.shift_of[b] = sf;
      }
    }
    if ((*t).contains("unless")) {
      ZB_ASSIGN_OR_RETURN(auto unless, Get<std::string>((*t)["unless"], where + ".unless", ""));
      for (const auto* b : r.bodies) {
        const auto* f = b->message_type()->FindFieldByName(unless);
        if (!f || f->type() != pb::FieldDescriptor::TYPE_BOOL || f->is_repeated()) {
          return Status::InvalidArgument(
              "route", fmt::format("{}.unless: '{}' is not a yes/no field of {}", where, unless,
                                   TopicOf(b)));
        }
        r.unless_of[b] = f;
      }
    }
    r.template_name = (*t)["template"].value_or(std::string());
    auto tit = impl->templates.find(r.template_name);
    if (tit == impl->templates.end()) {
      // A built-in (default_templates.h): the text the console shows.
      const auto* builtin = FindDefaultRoute(r.template_name);
      if (!builtin) {
        return Status::InvalidArgument(
            "route", fmt::format("{}: template '{}' is not defined in [templates] nor built in "
                                 "(built in: {})",
                                 where, r.template_name, BuiltinNames()));
      }
      if (!needs.provider_template_key.empty()) {
        return Status::InvalidArgument(
            "route", fmt::format("{}: the built-in template '{}' has no {} template id; define "
                                 "[templates.\"{}\"] with {} and {}",
                                 where, r.template_name, needs.channel, r.template_name,
                                 needs.provider_template_key, needs.provider_params_key));
      }
      CompiledTemplate ct;
      ct.t.name = builtin->name;
      ct.t.texts = builtin->texts;
      ZB_RETURN_IF_ERROR(CompileTexts(where, &ct));
      tit = impl->templates.emplace(builtin->name, std::move(ct)).first;
    }
    for (const auto* b : r.bodies) {
      for (const auto& to_entry : r.to) {
        if (to_entry == "subject") {
          std::vector<FieldPath> staff;
          StaffFields(b->message_type(), {}, &staff);
          if (staff.empty()) {
            return Status::InvalidArgument(
                "route",
                fmt::format("{}: to = \"subject\", but {} names no staff", where, TopicOf(b)));
          }
          r.subjects[b] = std::move(staff);
        } else if (to_entry == "leader") {
          const auto* lf = b->message_type()->FindFieldByName("leader");
          if (!lf || !IsStaff(lf)) {
            return Status::InvalidArgument(
                "route", fmt::format("{}: to = \"leader\", but {} carries no leader on duty", where,
                                     TopicOf(b)));
          }
          r.leaders[b] = lf;
        } else if (to_entry.starts_with("group:")) {
          if (!impl->groups.count(to_entry.substr(6))) {
            return Status::InvalidArgument(
                "route", fmt::format("{}: {} is not defined in [groups]", where, to_entry));
          }
        } else {
          return Status::InvalidArgument(
              "route", fmt::format("{}: unknown recipient '{}' (subject, leader, group:<name>)",
                                   where, to_entry));
        }
      }
      // Every parameter of the template must exist for every topic of the route.
      auto& ct = tit->second;
      const std::string tw = fmt::format("{}: template {}", where, r.template_name);
      for (auto& text : ct.texts) ZB_RETURN_IF_ERROR(Compile(tw, b, &text));
      for (auto& [var, pat] : ct.params)
        ZB_RETURN_IF_ERROR(Compile(tw + " sms_params " + var, b, &pat));
    }
    impl->routes.push_back(std::move(r));
  }
  return std::unique_ptr<Router>(new Router(std::move(impl)));
}

namespace {

// A route's starts_within_hours / starts_beyond_hours against the event:
// how long after the event's time its shift starts (negative: it has).
bool StartsWhenWanted(const Route& r, const v1::Event& e, const pb::FieldDescriptor* b) {
  const auto& body = e.GetReflection()->GetMessage(e, b);
  if (auto u = r.unless_of.find(b);
      u != r.unless_of.end() && body.GetReflection()->GetBool(body, u->second))
    return false;
  if (r.within_s < 0 && r.beyond_s < 0) return true;
  const auto& shift =
      static_cast<const v1::Shift&>(body.GetReflection()->GetMessage(body, r.shift_of.at(b)));
  const int64_t ahead = shift.start().seconds() - e.time().seconds();
  if (r.within_s >= 0 && ahead > r.within_s) return false;
  if (r.beyond_s >= 0 && ahead <= r.beyond_s) return false;
  return true;
}

}  // namespace

bool Router::Wants(const v1::Event& e) const {
  const auto* b = e.GetReflection()->GetOneofFieldDescriptor(e, BodyOneof());
  if (!b) return false;
  for (const auto& r : impl_->routes) {
    if (std::find(r.bodies.begin(), r.bodies.end(), b) == r.bodies.end()) continue;
    if (!r.centers.empty() && !r.centers.count(e.center_id())) continue;
    if (StartsWhenWanted(r, e, b)) return true;
  }
  return false;
}

Result<std::vector<v1::Notification>> Router::Render(const v1::Event& e) const {
  return Render(e, nullptr);
}

Result<std::vector<v1::Notification>> Router::Render(const v1::Event& e,
                                                     std::vector<std::string>* blanks) const {
  std::vector<v1::Notification> out;
  const auto* b = e.GetReflection()->GetOneofFieldDescriptor(e, BodyOneof());
  if (!b) return out;
  const auto& body = e.GetReflection()->GetMessage(e, b);
  for (const auto& r : impl_->routes) {
    if (std::find(r.bodies.begin(), r.bodies.end(), b) == r.bodies.end()) continue;
    if (!r.centers.empty() && !r.centers.count(e.center_id())) continue;
    if (!StartsWhenWanted(r, e, b)) continue;
    const auto& ct = impl_->templates.at(r.template_name);

    std::vector<v1::Recipient> recipients;
    std::set<std::string> seen;
    // A staff member's contact is looked up when the message is sent (the
    // Runner, contacts.h); a configured group member's is here already.
    auto add = [&](v1::Recipient rec) {
      const bool reachable = !impl_->contact || !rec.staff_id().empty() ||
                             !rec.GetReflection()->GetString(rec, impl_->contact).empty();
      if (!reachable) {
        ++impl_->unreachable;
        return;
      }
      if (seen.insert(RecipientKey(rec)).second) recipients.push_back(std::move(rec));
    };
    for (const auto& to : r.to) {
      if (to == "subject") {
        std::vector<v1::Staff> staff;
        for (const auto& path : r.subjects.at(b)) CollectStaff(body, path, 0, &staff);
        for (const auto& s : staff) add(FromStaff(s));
      } else if (to == "leader") {
        const auto* lf = r.leaders.at(b);
        if (body.GetReflection()->HasField(body, lf)) {
          add(FromStaff(static_cast<const v1::Staff&>(body.GetReflection()->GetMessage(body, lf))));
        }
      } else {
        for (const auto& m : impl_->groups.at(to.substr(6))) add(m);
      }
    }
    if (recipients.empty()) continue;

    v1::Notification n;
    n.set_event_id(e.id());
    n.set_seq(e.seq());
    n.set_topic(e.topic());
    n.set_center_id(e.center_id());
    n.set_route(r.name);
    n.set_template_(r.template_name);
    const size_t blanks_before = blanks ? blanks->size() : 0;
    n.set_text(RenderPattern(e, b, Choose(e, b, ct.texts), blanks));
    if (blanks) {
      for (size_t i = blanks_before; i < blanks->size(); ++i)
        (*blanks)[i] = fmt::format("{}: {{{}}}", r.name, (*blanks)[i]);
    }
    for (const auto& [var, pat] : ct.params) {
      auto* p = n.add_params();
      p->set_name(var);
      const size_t param_blanks = blanks ? blanks->size() : 0;
      p->set_value(RenderPattern(e, b, pat, blanks));
      if (blanks) {
        for (size_t i = param_blanks; i < blanks->size(); ++i)
          (*blanks)[i] = fmt::format("{}: {}={{{}}}", r.name, var, (*blanks)[i]);
      }
    }
    n.set_provider_template(ct.t.provider_template);
    n.set_urgent(r.urgent);
    *n.mutable_event_time() = e.time();
    if (impl_->needs.one_message_per_recipient) {
      for (const auto& rec : recipients) {
        v1::Notification one = n;
        one.set_key(fmt::format("{}/{}/{}", e.id(), r.name, RecipientKey(rec)));
        *one.add_recipients() = rec;
        out.push_back(std::move(one));
      }
    } else {
      n.set_key(fmt::format("{}/{}", e.id(), r.name));
      for (auto& rec : recipients) *n.add_recipients() = std::move(rec);
      out.push_back(std::move(n));
    }
  }
  return out;
}

}  // namespace zhiban::plugin
