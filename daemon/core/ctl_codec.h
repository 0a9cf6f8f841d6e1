// Decoding and encoding of ctl messages, with the checks that keep bad input
// out of the core: size limit, well-formed protobuf, no unknown fields, no
// text that could forge a line, a command present. Pure; unit-tested on
// garbage.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "daemon/base/status.h"
#include "zhiban/v1/ctl.pb.h"

namespace zhiban::core {

// Default ctl.max_request_bytes: a request above this gets RESOURCE_EXHAUSTED.
// Bulk imports send chunks well below it (see ImportRowsRequest).
inline constexpr size_t kDefaultMaxRequestBytes = 4u << 20;

Result<v1::CtlRequest> ParseCtlRequest(std::string_view bytes, size_t max_bytes);

// Path of the first unknown field in `msg` or its sub-messages, e.g.
// "zhiban.v1.CenterAddRequest field 99"; empty when there is none.
std::string FindUnknownField(const google::protobuf::Message& msg);

// The first string field of `msg` or its sub-messages holding a character
// that could forge or disguise a line where it is shown (base/utf8.h,
// IsUnsafeCodePoint), as an error naming the field path (from inside the
// command, as handlers name fields: "center.name") and the character;
// OK when there is none. Line breaks and tabs are allowed in the fields that
// hold documents or notes (toml, note, health_notes, a care checklist's);
// the client's claim (ClientInfo) is not checked here but escaped (ClaimOf).
Status FindUnsafeString(const google::protobuf::Message& msg);

// Name of the command set in a request ("center_add"), or "none".
std::string CommandName(const v1::CtlRequest& req);

v1::ErrorCode ToProtoCode(Code code);
Code FromProtoCode(v1::ErrorCode code);
void SetError(const Status& status, v1::Error* error);

// What the client claims to be, "user@host tool", for the audit record
// beside the principal: at most 200 bytes, valid UTF-8, every control
// character (a newline, an ANSI escape) shown as \xNN, so a claim can never
// print a forged row.
std::string ClaimOf(const v1::ClientInfo& c);

}  // namespace zhiban::core
