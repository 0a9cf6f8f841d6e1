// How the SMS and WeCom plugins read their providers' answers: documented
// replies, and replies of the wrong shape (found by fuzz/provider_replies),
// which must be judged, never thrown on.
#include <gtest/gtest.h>

#include "daemon/base/utf8.h"
#include "plugins/sms/sms.h"
#include "plugins/wecom/wecom.h"

namespace zhiban {
namespace {

using plugin::Delivery;
using plugin::Reconciled;

TEST(SmsReplies, TencentDocumentedAnswers) {
  EXPECT_EQ(
      sms::JudgeTencentSend(R"({"Response":{"SendStatusSet":[{"Code":"Ok"}]}})", "+86138").kind,
      Delivery::Kind::kOk);
  auto limit = sms::JudgeTencentSend(
      R"({"Response":{"SendStatusSet":[{"Code":"LimitExceeded.PhoneNumberDailyLimit","Message":"x"}]}})",
      "+86138");
  EXPECT_EQ(limit.kind, Delivery::Kind::kFatal);
  EXPECT_NE(limit.reason.find("LimitExceeded.PhoneNumberDailyLimit"), std::string::npos);
  EXPECT_EQ(
      sms::JudgeTencentSend(R"({"Response":{"Error":{"Code":"InternalError.Timeout"}}})", "").kind,
      Delivery::Kind::kRetry);
  EXPECT_EQ(sms::JudgeTencentFind(
                R"({"Response":{"PullSmsSendStatusSet":[{"SessionContext":"k1"}]}})", "k1"),
            Reconciled::kSent);
  EXPECT_EQ(sms::JudgeTencentFind(R"({"Response":{"PullSmsSendStatusSet":[]}})", "k1"),
            Reconciled::kNotSent);
}

TEST(SmsReplies, AlibabaDocumentedAnswers) {
  EXPECT_EQ(sms::JudgeAlibabaSend(200, R"({"Code":"OK"})", "+86138").kind, Delivery::Kind::kOk);
  EXPECT_EQ(sms::JudgeAlibabaSend(200, R"({"Code":"isv.MOBILE_NUMBER_ILLEGAL"})", "").kind,
            Delivery::Kind::kFatal);
  EXPECT_EQ(sms::JudgeAlibabaSend(400, R"({"Code":"Throttling.User"})", "").kind,
            Delivery::Kind::kRetry);
  EXPECT_EQ(sms::JudgeAlibabaSend(503, "<html>", "").kind, Delivery::Kind::kRetry);
  EXPECT_EQ(sms::JudgeAlibabaFind(
                R"({"Code":"OK","SmsSendDetailDTOs":{"SmsSendDetailDTO":[{"OutId":"k1"}]}})", "k1"),
            Reconciled::kSent);
}

// Each of these threw nlohmann::json::type_error out of Send and stopped the plugin.
TEST(SmsReplies, WrongShapesAreJudgedNotThrown) {
  for (const char* body :
       {R"({"Response":{"Error":"oops"}})", R"({"Response":{"Error":{"Code":7}}})",
        R"({"Response":[1]})", R"({"Response":{"SendStatusSet":[5]}})",
        R"({"Response":{"SendStatusSet":{"Code":"Ok"}}})",
        R"({"Response":{"SendStatusSet":[{"Code":null}]}})", "[]", "null", "\"Response\"",
        "{\"Response\":{\"Error\":{\"Message\":\"\xff\xfe\"}}}"}) {
    Delivery d = sms::JudgeTencentSend(body, "+86138");
    EXPECT_NE(d.kind, Delivery::Kind::kOk) << body;
    EXPECT_TRUE(IsValidUtf8(d.reason)) << body;
    (void)sms::JudgeTencentFind(body, "k");
  }
  for (const char* body :
       {R"({"Code":5})", R"({"Code":"OK","SmsSendDetailDTOs":[1]})",
        R"({"Code":"OK","SmsSendDetailDTOs":{"SmsSendDetailDTO":"x"}})",
        R"({"Code":"OK","SmsSendDetailDTOs":{"SmsSendDetailDTO":[{"OutId":1}]}})",
        R"({"Code":"X","Message":["a"]})", "[]"}) {
    (void)sms::JudgeAlibabaSend(200, body, "+86138");
    EXPECT_NE(sms::JudgeAlibabaFind(body, "k"), Reconciled::kSent) << body;
  }
  // A long reply quoted into a dead letter stays valid UTF-8 when cut.
  const std::string long_body = std::string(199, 'x') + "幸福";
  Delivery d = sms::JudgeAlibabaSend(403, long_body, "");
  EXPECT_EQ(d.kind, Delivery::Kind::kFatal);
  EXPECT_TRUE(IsValidUtf8(d.reason)) << d.reason;
}

TEST(WecomReplies, DocumentedAnswersAndWrongShapes) {
  using std::chrono::milliseconds;
  EXPECT_EQ(wecom::JudgeWecomReply(200, R"({"errcode":0})", milliseconds(1)).delivery.kind,
            Delivery::Kind::kOk);
  auto limit = wecom::JudgeWecomReply(200, R"({"errcode":45009,"errmsg":"freq"})", milliseconds(7));
  EXPECT_EQ(limit.delivery.kind, Delivery::Kind::kRetry);
  EXPECT_EQ(limit.delivery.retry_after, milliseconds(7));
  auto token = wecom::JudgeWecomReply(200, R"({"errcode":0,"access_token":"T","expires_in":60})",
                                      milliseconds(1));
  EXPECT_EQ(token.access_token, "T");
  EXPECT_EQ(token.expires_in, 60);
  EXPECT_EQ(wecom::JudgeWecomReply(200, R"({"errcode":42001})", milliseconds(1)).errcode, 42001);
  // Each of these threw: errcode a string, errmsg or invaliduser not strings.
  for (const char* body :
       {R"({"errcode":"0"})", R"({"errcode":1,"errmsg":[1]})", R"({"errcode":0,"invaliduser":5})",
        R"({"errcode":0,"expires_in":"x"})", R"({"errcode":1.5})", "[]", "", "{"}) {
    auto r = wecom::JudgeWecomReply(200, body, milliseconds(1));
    EXPECT_TRUE(IsValidUtf8(r.delivery.reason)) << body;
  }
  EXPECT_EQ(wecom::JudgeWecomReply(200, R"({"errcode":"0"})", milliseconds(1)).delivery.kind,
            Delivery::Kind::kRetry);
}

TEST(Utf8, ValidityAndExcerpts) {
  EXPECT_TRUE(IsValidUtf8("幸福 ok"));
  EXPECT_FALSE(IsValidUtf8("\xe5\xb9"));          // a cut character
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_EQ(Utf8Excerpt("幸福", 4), "幸…");
  EXPECT_EQ(Utf8Excerpt("a\xffz", 10), "a\xEF\xBF\xBDz");
  EXPECT_TRUE(IsValidUtf8(Utf8Excerpt("\xe5\xb9\xb8\xe5\xb9", 100)));
}

}  // namespace
}  // namespace zhiban
