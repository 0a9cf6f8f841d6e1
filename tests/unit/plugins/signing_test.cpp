// Provider request signing against the providers' documented worked examples,
// and the SMS rules (segments, numbers).
#include <gtest/gtest.h>

#include "plugins/sdk/crypto.h"
#include "plugins/sms/signing.h"
#include "plugins/sms/sms.h"

namespace zhiban::sms {
namespace {

Tc3Request CvmExample() {
  Tc3Request r;
  r.host = "cvm.tencentcloudapi.com";
  r.service = "cvm";
  r.action = "DescribeInstances";
  r.timestamp = 1551113065;
  // The \u escapes are literal characters of the body, as in the documentation.
  r.body =
      R"({"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]})";
  return r;
}

TEST(Tc3Signing, MatchesTheDocumentedExample) {
  Tc3Request r = CvmExample();
  EXPECT_EQ(UtcDate(r.timestamp), "2019-02-25");
  EXPECT_EQ(Tc3Signature(r, std::string(32, '*')),
            "10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f");
  EXPECT_EQ(
      Tc3Authorization(r, "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", std::string(32, '*')),
      "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, "
      "SignedHeaders=content-type;host;x-tc-action, "
      "Signature=10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f");
}

TEST(Tc3Signing, MatchesTheOlderRevisionSigningTwoHeaders) {
  Tc3Request r = CvmExample();
  r.signed_headers = {"content-type", "host"};
  EXPECT_EQ(Tc3Signature(r, "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"),
            "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
}

TEST(Tc3Signing, AnyChangedByteChangesTheSignature) {
  Tc3Request r = CvmExample();
  const std::string base = Tc3Signature(r, "k");
  r.body += " ";
  EXPECT_NE(Tc3Signature(r, "k"), base);
  r = CvmExample();
  r.timestamp += 86400;  // another UTC date, another derived key
  EXPECT_NE(Tc3Signature(r, "k"), base);
}

TEST(RpcSigning, MatchesTheDocumentedSmsExample) {
  const std::map<std::string, std::string> params = {
      {"AccessKeyId", "testId"},
      {"Action", "SendSms"},
      {"Format", "XML"},
      {"OutId", "123"},
      {"PhoneNumbers", "15300000001"},
      {"RegionId", "cn-hangzhou"},
      {"SignName", "阿里云短信测试专用"},
      {"SignatureMethod", "HMAC-SHA1"},
      {"SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466"},
      {"SignatureVersion", "1.0"},
      {"TemplateCode", "SMS_71390007"},
      {"TemplateParam", R"({"customer":"test"})"},
      {"Timestamp", "2017-07-12T02:42:19Z"},
      {"Version", "2017-05-25"}};
  EXPECT_EQ(RpcSignature("GET", params, "testSecret"), "zJDF+Lrzhj/ThnlvIToysFRq6t4=");
  EXPECT_TRUE(RpcStringToSign("GET", params)
                  .starts_with("GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms"));
}

TEST(RpcSigning, PercentEncodesAsRfc3986) {
  EXPECT_EQ(RpcPercentEncode("a b*c~d/e+f"), "a%20b%2Ac~d%2Fe%2Bf");
  EXPECT_EQ(RpcPercentEncode("测"), "%E6%B5%8B");
  EXPECT_EQ(UtcIso(1499827339), "2017-07-12T02:42:19Z");
}

TEST(Crypto, KnownVectors) {
  using plugin::Base64;
  using plugin::Hex;
  EXPECT_EQ(Hex(plugin::Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Base64("foob"), "Zm9vYg==");
  EXPECT_EQ(Hex(plugin::HmacSha256("key", "The quick brown fox jumps over the lazy dog")),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}

TEST(SmsRules, SegmentsAre70Then67) {
  EXPECT_EQ(Segments(""), 1);
  EXPECT_EQ(Segments(std::string(201, 'x')), 3);  // 3 × 67
  EXPECT_EQ(Segments(std::string(202, 'x')), 4);
  std::string seventy;
  for (int i = 0; i < 70; ++i) seventy += "值";
  EXPECT_EQ(CodePoints(seventy), 70u);
  EXPECT_EQ(Segments(seventy), 1);
  EXPECT_EQ(Segments(seventy + "班"), 2);  // 71 → two of 67
  std::string s134;
  for (int i = 0; i < 134; ++i) s134 += "值";
  EXPECT_EQ(Segments(s134), 2);
  EXPECT_EQ(Segments(s134 + "x"), 3);
}

TEST(SmsRules, NumbersBecomeE164) {
  EXPECT_EQ(E164("13800000000"), "+8613800000000");
  EXPECT_EQ(E164("138-0000-0000"), "+8613800000000");
  EXPECT_EQ(E164("+8613800000000"), "+8613800000000");
  EXPECT_EQ(E164("008613800000000"), "+8613800000000");
  EXPECT_EQ(E164("+85291234567"), "+85291234567");
}

}  // namespace
}  // namespace zhiban::sms
