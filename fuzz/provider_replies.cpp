// What the SMS and WeCom providers answer, judged by the plugins: the first
// byte picks the judge and the HTTP status, the rest is the body. Any
// shape must be judged, never thrown on, and reasons stay valid UTF-8.
#include <chrono>
#include <cstdint>
#include <string_view>

#include "fuzz/check.h"
#include "plugins/sms/sms.h"
#include "plugins/wecom/wecom.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  static const int kStatus[] = {200, 200, 200, 400, 403, 429, 500, 503};
  const int status = kStatus[(data[0] >> 3) % 8];
  using zhiban::fuzz::ExpectUtf8;
  switch (data[0] % 5) {
    case 0:
      ExpectUtf8(zhiban::sms::JudgeTencentSend(body, "+8613800000000").reason, "the reason");
      break;
    case 1:
      (void)zhiban::sms::JudgeTencentFind(body, "i-1/route/s1");
      break;
    case 2:
      ExpectUtf8(zhiban::sms::JudgeAlibabaSend(status, body, "+8613800000000").reason,
                 "the reason");
      break;
    case 3:
      (void)zhiban::sms::JudgeAlibabaFind(body, "i-1/route/s1");
      break;
    default: {
      auto r = zhiban::wecom::JudgeWecomReply(status, body, std::chrono::milliseconds(1));
      ExpectUtf8(r.delivery.reason, "the reason");
      ExpectUtf8(r.access_token, "the token");
      ExpectUtf8(r.invaliduser, "invaliduser");
      break;
    }
  }
  return 0;
}
