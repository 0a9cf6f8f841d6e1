// The ctl socket's decoder: any bytes in, a CtlRequest or an error whose
// message is valid UTF-8 out (a byte of 幸 quoted alone once broke the reply
// and the audit log, #16).
#include <cstdint>
#include <string_view>

#include "daemon/core/ctl_codec.h"
#include "fuzz/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto req = zhiban::core::ParseCtlRequest(bytes, 1 << 20);
  if (!req.ok()) {
    zhiban::fuzz::ExpectUtf8(req.status().message(), "the error");
    return 0;
  }
  std::string again;
  if (!req->SerializeToString(&again)) __builtin_trap();
  return 0;
}
