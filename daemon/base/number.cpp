#include "daemon/base/number.h"

#include <fmt/format.h>

#include "daemon/base/utf8.h"

namespace zhiban::number_internal {

Status NotANumber(std::string_view what, std::string_view text, const char* kind) {
  return Status::InvalidArgument(std::string(what),
                                 fmt::format("\"{}\" is not {}", EscapeForLine(text, 80), kind));
}

}  // namespace zhiban::number_internal
