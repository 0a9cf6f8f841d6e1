// Numbers read from text that came from outside the function: a stored meta
// value, a config string, a command-line flag. std::sto* throws on bad input
// and accepts "12abc"; these read the whole text or answer a Status naming
// `what`, so an exception never crosses the Status boundary (base/status.h).
#pragma once

#include <charconv>
#include <string>
#include <string_view>
#include <type_traits>

#include "daemon/base/status.h"

namespace zhiban {

namespace number_internal {
Status NotANumber(std::string_view what, std::string_view text, const char* kind);
}  // namespace number_internal

// The whole of `text` as a T (an integer type or double): no sign for an
// unsigned T, no leading '+', no spaces, nothing after the digits, in T's
// range. `what` names the text in the error ("meta sim_clock", "--period").
template <typename T>
Result<T> ParseNumber(std::string_view text, std::string_view what) {
  static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>);
  T value{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec == std::errc::invalid_argument || ptr != end) {
    return number_internal::NotANumber(what, text,
                                       std::is_integral_v<T> ? "an integer" : "a number");
  }
  if (ec == std::errc::result_out_of_range) {
    return number_internal::NotANumber(what, text, "a number in range");
  }
  return value;
}

}  // namespace zhiban
