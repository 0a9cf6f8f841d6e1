// The ctl socket's decoder: any bytes in, a CtlRequest or an error whose
// message is valid UTF-8 out (a byte of 幸 quoted alone once broke the reply
// and the audit log, #16) and holds no control or direction character; a
// request let through holds none outside its multi-line fields, and its
// client claim, escaped, none at all (issue 37).
#include <cstdint>
#include <string_view>

#include "daemon/core/ctl_codec.h"
#include "fuzz/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto req = zhiban::core::ParseCtlRequest(bytes, 1 << 20);
  if (!req.ok()) {
    zhiban::fuzz::ExpectOneLine(req.status().message(), "the error");
    zhiban::fuzz::ExpectOneLine(req.status().field(), "the error's field");
    return 0;
  }
  if (!zhiban::core::FindUnsafeString(*req).ok()) __builtin_trap();
  zhiban::fuzz::ExpectOneLine(zhiban::core::ClaimOf(req->client()), "the client claim");
  std::string again;
  if (!req->SerializeToString(&again)) __builtin_trap();
  return 0;
}
