#include "daemon/core/ctl_codec.h"

#include <cstdlib>
#include <vector>

#include <fmt/format.h>

#include "daemon/base/utf8.h"

namespace zhiban::core {

std::string FindUnknownField(const google::protobuf::Message& msg) {
  const auto* refl = msg.GetReflection();
  const auto& unknown = refl->GetUnknownFields(msg);
  if (!unknown.empty()) {
    return fmt::format("{} field {}", msg.GetDescriptor()->full_name(), unknown.field(0).number());
  }
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  refl->ListFields(msg, &fields);
  for (const auto* f : fields) {
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (f->is_repeated()) {
      for (int i = 0; i < refl->FieldSize(msg, f); ++i) {
        auto found = FindUnknownField(refl->GetRepeatedMessage(msg, f, i));
        if (!found.empty()) return found;
      }
    } else {
      auto found = FindUnknownField(refl->GetMessage(msg, f));
      if (!found.empty()) return found;
    }
  }
  return {};
}

namespace {

// Fields whose text may run over lines.
bool Multiline(const google::protobuf::FieldDescriptor& f) {
  const std::string& n = f.name();
  return n == "toml" || n == "note" || n == "health_notes" ||
         f.containing_type()->full_name() == "zhiban.v1.CareChecklist";
}

Status CheckString(const std::string& path, const google::protobuf::FieldDescriptor& f,
                   const std::string& text) {
  const size_t at = FindUnsafeText(text, Multiline(f));
  if (at == std::string_view::npos) return {};
  return Status::InvalidArgument(
      path, fmt::format("holds \"{}\" at byte {}: control characters, line separators and "
                        "direction overrides are refused{}",
                        EscapeForLine(std::string_view(text).substr(at), 16), at,
                        Multiline(f) ? " (line breaks and tabs are allowed here)" : ""));
}

Status FindUnsafeIn(const google::protobuf::Message& msg, const std::string& prefix) {
  using google::protobuf::FieldDescriptor;
  if (msg.GetDescriptor()->full_name() == "zhiban.v1.ClientInfo") return {};
  const auto* refl = msg.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  refl->ListFields(msg, &fields);
  for (const auto* f : fields) {
    // Paths as the handlers name fields: from inside the command.
    const bool command = f->containing_oneof() && f->containing_oneof()->name() == "command" &&
                         msg.GetDescriptor()->full_name() == "zhiban.v1.CtlRequest";
    const std::string path = command ? "" : prefix.empty() ? f->name() : prefix + "." + f->name();
    if (f->type() == FieldDescriptor::TYPE_STRING) {
      if (f->is_repeated()) {
        for (int i = 0; i < refl->FieldSize(msg, f); ++i)
          ZB_RETURN_IF_ERROR(
              CheckString(fmt::format("{}[{}]", path, i), *f, refl->GetRepeatedString(msg, f, i)));
      } else {
        ZB_RETURN_IF_ERROR(CheckString(path, *f, refl->GetString(msg, f)));
      }
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < refl->FieldSize(msg, f); ++i)
          ZB_RETURN_IF_ERROR(
              FindUnsafeIn(refl->GetRepeatedMessage(msg, f, i), fmt::format("{}[{}]", path, i)));
      } else {
        ZB_RETURN_IF_ERROR(FindUnsafeIn(refl->GetMessage(msg, f), path));
      }
    }
  }
  return {};
}

}  // namespace

Status FindUnsafeString(const google::protobuf::Message& msg) { return FindUnsafeIn(msg, ""); }

Result<v1::CtlRequest> ParseCtlRequest(std::string_view bytes, size_t max_bytes) {
  if (bytes.size() > max_bytes) {
    return Status::ResourceExhausted(
        fmt::format("request is {} bytes; the limit is {} (ctl.max_request_bytes); send large "
                    "imports in chunks",
                    bytes.size(), max_bytes));
  }
  v1::CtlRequest req;
  if (!req.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::InvalidArgument(
        "", fmt::format("malformed request: {} bytes that are not a zhiban.v1.CtlRequest",
                        bytes.size()));
  }
  if (auto unknown = FindUnknownField(req); !unknown.empty()) {
    return Status::InvalidArgument(
        "", fmt::format("request has an unknown field ({}); is the client newer than this zhiband?",
                        unknown));
  }
  if (req.command_case() == v1::CtlRequest::COMMAND_NOT_SET) {
    return Status::InvalidArgument("command", "request names no command");
  }
  if (Status unsafe = FindUnsafeString(req); !unsafe.ok()) {
    // A chunk of an import: the row of the file, as the import's other
    // errors name it (row_numbers, or 2, 3, ... when absent).
    const std::string& f = unsafe.field();
    const size_t open = f.find('['), close = f.find(']');
    if (req.has_import_rows() && open != std::string::npos && close != std::string::npos &&
        close > open) {
      const int i = std::atoi(f.substr(open + 1, close - open - 1).c_str());
      const auto& rows = req.import_rows();
      const int64_t row =
          i < rows.row_numbers_size() ? static_cast<int64_t>(rows.row_numbers(i)) : -1;
      const std::string column = close + 2 < f.size() ? f.substr(close + 2) : f;
      return Status::InvalidArgument(
          f, row > 0 ? fmt::format("row {}, column {}: {}", row, column, unsafe.message())
                     : fmt::format("record {} of this chunk, column {}: {}", i + 1, column,
                                   unsafe.message()));
    }
    return unsafe;
  }
  return req;
}

std::string CommandName(const v1::CtlRequest& req) {
  const auto* oneof = req.GetDescriptor()->FindOneofByName("command");
  const auto* f = req.GetReflection()->GetOneofFieldDescriptor(req, oneof);
  return f ? f->name() : "none";
}

v1::ErrorCode ToProtoCode(Code code) {
  switch (code) {
    case Code::kOk:
      return v1::ERROR_CODE_UNSPECIFIED;
    case Code::kInvalidArgument:
      return v1::INVALID_ARGUMENT;
    case Code::kNotFound:
      return v1::NOT_FOUND;
    case Code::kAlreadyExists:
      return v1::ALREADY_EXISTS;
    case Code::kFailedPrecondition:
      return v1::FAILED_PRECONDITION;
    case Code::kPermissionDenied:
      return v1::PERMISSION_DENIED;
    case Code::kResourceExhausted:
      return v1::RESOURCE_EXHAUSTED;
    case Code::kUnavailable:
      return v1::UNAVAILABLE;
    case Code::kInternal:
      return v1::INTERNAL;
    case Code::kUnimplemented:
      return v1::UNIMPLEMENTED;
  }
  return v1::INTERNAL;
}

Code FromProtoCode(v1::ErrorCode code) {
  switch (code) {
    case v1::INVALID_ARGUMENT:
      return Code::kInvalidArgument;
    case v1::NOT_FOUND:
      return Code::kNotFound;
    case v1::ALREADY_EXISTS:
      return Code::kAlreadyExists;
    case v1::FAILED_PRECONDITION:
      return Code::kFailedPrecondition;
    case v1::PERMISSION_DENIED:
      return Code::kPermissionDenied;
    case v1::RESOURCE_EXHAUSTED:
      return Code::kResourceExhausted;
    case v1::UNAVAILABLE:
      return Code::kUnavailable;
    case v1::UNIMPLEMENTED:
      return Code::kUnimplemented;
    case v1::ERROR_CODE_UNSPECIFIED:
      return Code::kOk;
    default:
      return Code::kInternal;
  }
}

void SetError(const Status& status, v1::Error* error) {
  error->set_code(ToProtoCode(status.code()));
  error->set_message(status.message());
  error->set_field(status.field());
}

std::string ClaimOf(const v1::ClientInfo& c) {
  if (c.user().empty() && c.host().empty() && c.tool().empty()) return "";
  std::string raw =
      fmt::format("{}@{}", c.user().empty() ? "?" : c.user(), c.host().empty() ? "?" : c.host());
  if (!c.tool().empty()) raw += " " + c.tool();
  return EscapeForLine(raw, 200);
}

}  // namespace zhiban::core
