#!/usr/bin/env python3
"""Local stand-ins for the SMS and WeCom providers zhiban's notifiers call.

They implement the providers' contract as ../shared/PROVIDERS.md records it —
request signatures verified with the published algorithms (checked against the
documented worked examples by --selftest), the documented error codes, rate
limits and token expiry — so the real plugin processes can be tested end to end.

  POST /                       Tencent Cloud SMS API 3.0 (X-TC-Action: SendSms,
                               PullSmsSendStatusByPhoneNumber), TC3-HMAC-SHA256
  POST /alibaba/               Alibaba Cloud dysmsapi (SendSms, QuerySendDetails), RPC HMAC-SHA1
  POST /cgi-bin/webhook/send   WeCom group robot (20 messages a minute per key)
  GET  /cgi-bin/gettoken       WeCom access token
  POST /cgi-bin/message/send   WeCom application message (duplicate check honoured)
Test controls (not part of any provider):
  GET  /_sent                  every message accepted, in order
  GET  /_stats                 request counts, signature failures, duplicates dropped
  POST /_control               {"fail": {"tencent": ["InternalError", "http500", "timeout", ...]},
                                "delay_ms": 30, "expire_tokens": true}
Numbers ending 0000 hit the per-number daily limit; ending 9999 are invalid.

Uses only the Python standard library.
"""
import argparse
import base64
import calendar
import hashlib
import hmac
import json
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


# ---- signatures, as documented --------------------------------------------

def tc3_signature(secret_key, host, action, content_type, body, timestamp, service, signed_headers):
    values = {"content-type": content_type, "host": host, "x-tc-action": action.lower()}
    names = sorted(signed_headers)
    canonical_headers = "".join(f"{n}:{values[n]}\n" for n in names)
    canonical = "\n".join(["POST", "/", "", canonical_headers, ";".join(names),
                           hashlib.sha256(body).hexdigest()])
    date = time.strftime("%Y-%m-%d", time.gmtime(timestamp))
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), f"{date}/{service}/tc3_request",
                         hashlib.sha256(canonical.encode()).hexdigest()])
    k = hmac.new(("TC3" + secret_key).encode(), date.encode(), hashlib.sha256).digest()
    k = hmac.new(k, service.encode(), hashlib.sha256).digest()
    k = hmac.new(k, b"tc3_request", hashlib.sha256).digest()
    return hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()


def rpc_encode(s):
    return urllib.parse.quote(s, safe="-_.~")


def rpc_signature(method, params, secret):
    query = "&".join(f"{rpc_encode(k)}={rpc_encode(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{rpc_encode('/')}&{rpc_encode(query)}"
    return base64.b64encode(hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


def selftest():
    body = b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    ct = "application/json; charset=utf-8"
    checks = [
        ("TC3, content-type;host;x-tc-action",
         tc3_signature("*" * 32, "cvm.tencentcloudapi.com", "DescribeInstances", ct, body, 1551113065, "cvm",
                       ["content-type", "host", "x-tc-action"]),
         "10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f"),
        ("TC3, content-type;host",
         tc3_signature("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "cvm.tencentcloudapi.com", "DescribeInstances", ct, body,
                       1551113065, "cvm", ["content-type", "host"]),
         "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"),
        ("Alibaba RPC",
         rpc_signature("GET", {
             "AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
             "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
             "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
             "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}',
             "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25"}, "testSecret"),
         "zJDF+Lrzhj/ThnlvIToysFRq6t4="),
    ]
    ok = True
    for name, got, want in checks:
        print(f"{'ok  ' if got == want else 'FAIL'} {name}: {got}")
        ok &= got == want
    return 0 if ok else 1


# ---- the server -----------------------------------------------------------

class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.sent = []
        self.stats = {"requests": 0, "bad_signature": 0, "duplicates_dropped": 0, "rate_limited": 0}
        self.fail = {"tencent": [], "alibaba": [], "wecom": []}
        self.delay = 0.0
        self.nonces = set()
        self.tokens = {}  # token -> expiry (unix)
        self.robot_hits = {}
        self.app_recent = {}  # (touser, content) -> time


def reply(handler, status, obj):
    data = json.dumps(obj, ensure_ascii=False).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json; charset=utf-8")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One write per response, no Nagle: otherwise header and body go as two
    # segments and a keep-alive client waits out a delayed ACK (40 ms) each time.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def log_message(self, fmt, *a):
        if self.server.state.args.verbose:
            super().log_message(fmt, *a)

    @property
    def st(self):
        return self.server.state

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n)

    def scripted(self, provider):
        """A scripted failure for this provider, if one is queued."""
        with self.st.lock:
            q = self.st.fail[provider]
            return q.pop(0) if q else None

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/_sent":
            with self.st.lock:
                return reply(self, 200, self.st.sent)
        if url.path == "/_stats":
            with self.st.lock:
                return reply(self, 200, self.st.stats)
        if url.path == "/cgi-bin/gettoken":
            with self.st.lock:
                self.st.stats["requests"] += 1
            if q.get("corpid") != self.st.args.corp_id or q.get("corpsecret") != self.st.args.corp_secret:
                return reply(self, 200, {"errcode": 40001, "errmsg": "invalid credential"})
            token = secrets.token_hex(16)
            with self.st.lock:
                self.st.tokens[token] = time.time() + 7200
            return reply(self, 200, {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})
        reply(self, 404, {"error": "not found"})

    def do_POST(self):
        url = urllib.parse.urlparse(self.path)
        body = self.body()
        if url.path == "/_control":
            c = json.loads(body or b"{}")
            with self.st.lock:
                for k, v in c.get("fail", {}).items():
                    self.st.fail[k].extend(v)
                if "delay_ms" in c:
                    self.st.delay = c["delay_ms"] / 1000.0
                if c.get("expire_tokens"):
                    for t in self.st.tokens:
                        self.st.tokens[t] = 0
            return reply(self, 200, {"ok": True})
        with self.st.lock:
            self.st.stats["requests"] += 1
        if self.st.delay:
            time.sleep(self.st.delay)
        q = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/" and self.headers.get("X-TC-Action"):
            return self.tencent(body)
        if url.path == "/alibaba/":
            return self.alibaba(body)
        if url.path == "/cgi-bin/webhook/send":
            return self.robot(q, body)
        if url.path == "/cgi-bin/message/send":
            return self.app(q, body)
        reply(self, 404, {"error": "not found"})

    # -- Tencent --
    def tencent(self, body):
        a = self.st.args
        rid = secrets.token_hex(8)

        def error(code, message):
            return reply(self, 200, {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": rid}})

        auth = self.headers.get("Authorization", "")
        try:
            algo, rest = auth.split(" ", 1)
            parts = dict(p.strip().split("=", 1) for p in rest.split(","))
            secret_id, date, service, _ = parts["Credential"].split("/")
            signed = parts["SignedHeaders"].split(";")
            ts = int(self.headers["X-TC-Timestamp"])
        except (ValueError, KeyError):
            return error("AuthFailure.SignatureFailure", "malformed Authorization")
        if algo != "TC3-HMAC-SHA256" or secret_id != a.tencent_id:
            return error("AuthFailure.SecretIdNotFound", "unknown SecretId")
        if abs(time.time() - ts) > 300:
            return error("AuthFailure.SignatureExpire", "signature expired")
        want = tc3_signature(a.tencent_key, self.headers.get("Host", ""), self.headers["X-TC-Action"],
                             self.headers.get("Content-Type", ""), body, ts, service, signed)
        if not hmac.compare_digest(want, parts.get("Signature", "")) or "content-type" not in signed or "host" not in signed:
            with self.st.lock:
                self.st.stats["bad_signature"] += 1
            return error("AuthFailure.SignatureFailure", "signature mismatch")
        if self.headers.get("X-TC-Version") != "2021-01-11":
            return error("InvalidParameter", "X-TC-Version must be 2021-01-11")
        req = json.loads(body)
        action = self.headers["X-TC-Action"]
        if action == "PullSmsSendStatusByPhoneNumber":
            with self.st.lock:
                items = [{"PhoneNumber": m["phone"], "SessionContext": m["key"], "ReportStatus": "SUCCESS",
                          "SerialNo": m["serial"], "UserReceiveTime": int(m["time"])}
                         for m in self.st.sent if m["provider"] == "tencent" and m["phone"] == req.get("PhoneNumber")
                         and m["time"] >= req.get("BeginTime", 0)]
            return reply(self, 200, {"Response": {"PullSmsSendStatusSet": items, "RequestId": rid}})
        if action != "SendSms":
            return error("InvalidAction", action)
        scripted = self.scripted("tencent")
        if scripted == "timeout":
            pass  # handled below, after the send is recorded
        elif scripted == "http500":
            return reply(self, 500, {"message": "internal"})
        elif scripted:
            return error(scripted, "scripted")
        if req.get("SmsSdkAppId") != a.tencent_app:
            return error("InvalidParameterValue.SdkAppIdNotExist", "SmsSdkAppId")
        params = req.get("TemplateParamSet", [])
        if not req.get("TemplateId") or not all(isinstance(p, str) and len(p) <= 20 for p in params):
            return error("FailedOperation.TemplateParamSetNotMatchApprovedTemplate", "template parameters")
        statuses = []
        for phone in req.get("PhoneNumberSet", []):
            serial = secrets.token_hex(6)
            if phone.endswith("0000"):
                code, msg = "LimitExceeded.PhoneNumberDailyLimit", "daily limit"
            elif phone.endswith("9999") or not phone.startswith("+"):
                code, msg = "InvalidParameterValue.IncorrectPhoneNumber", "incorrect number"
            else:
                code, msg = "Ok", "send success"
                with self.st.lock:
                    self.st.sent.append({"provider": "tencent", "phone": phone, "key": req.get("SessionContext", ""),
                                         "template": req["TemplateId"], "params": params,
                                         "sign": req.get("SignName"), "serial": serial, "time": time.time()})
            statuses.append({"SerialNo": serial, "PhoneNumber": phone, "Fee": 1, "SessionContext": req.get("SessionContext", ""),
                             "Code": code, "Message": msg, "IsoCode": "CN"})
        if scripted == "timeout":  # accepted, but the reply comes too late for the client
            time.sleep(self.st.args.slow_reply)
        reply(self, 200, {"Response": {"SendStatusSet": statuses, "RequestId": rid}})

    # -- Alibaba --
    def alibaba(self, body):
        a = self.st.args
        params = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
        rid = secrets.token_hex(8)

        def error(status, code, message):
            return reply(self, status, {"Code": code, "Message": message, "RequestId": rid})

        sig = params.pop("Signature", "")
        if params.get("AccessKeyId") != a.alibaba_id:
            return error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        if not hmac.compare_digest(rpc_signature("POST", params, a.alibaba_secret), sig):
            with self.st.lock:
                self.st.stats["bad_signature"] += 1
            return error(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
        try:
            ts = calendar.timegm(time.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ"))
        except (KeyError, ValueError):
            return error(400, "MissingTimestamp", "Timestamp")
        if abs(time.time() - ts) > 900:
            return error(400, "InvalidTimeStamp.Expired", "timestamp expired")
        with self.st.lock:
            if params.get("SignatureNonce") in self.st.nonces:
                return error(400, "SignatureNonceUsed", "nonce used")
            self.st.nonces.add(params.get("SignatureNonce"))
        if params.get("Action") == "QuerySendDetails":
            date = params.get("SendDate", "")
            with self.st.lock:
                dtos = [{"PhoneNum": m["phone"], "OutId": m["key"], "SendStatus": 3, "TemplateCode": m["template"],
                         "SendDate": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(m["time"]))}
                        for m in self.st.sent if m["provider"] == "alibaba" and m["phone"] == params.get("PhoneNumber")
                        and time.strftime("%Y%m%d", time.gmtime(m["time"] + 8 * 3600)) == date]
            return reply(self, 200, {"Code": "OK", "Message": "OK", "RequestId": rid, "TotalCount": len(dtos),
                                     "SmsSendDetailDTOs": {"SmsSendDetailDTO": dtos}})
        if params.get("Action") != "SendSms":
            return error(400, "InvalidAction.NotFound", "action")
        scripted = self.scripted("alibaba")
        if scripted == "http500":
            return reply(self, 500, {"Code": "ServiceUnavailable", "Message": "scripted"})
        if scripted:
            return error(400 if scripted.startswith("Throttling") else 200, scripted, "scripted")
        try:
            tp = json.loads(params.get("TemplateParam", "{}"))
            assert isinstance(tp, dict)
        except (ValueError, AssertionError):
            return error(200, "isv.INVALID_JSON_PARAM", "TemplateParam is not a JSON object")
        phone = params.get("PhoneNumbers", "")
        if phone.endswith("0000"):
            return error(200, "isv.BUSINESS_LIMIT_CONTROL", "触发号码天级流控")
        if phone.endswith("9999") or phone.startswith("+"):
            return error(200, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        with self.st.lock:
            self.st.sent.append({"provider": "alibaba", "phone": phone, "key": params.get("OutId", ""),
                                 "template": params.get("TemplateCode"), "params": tp,
                                 "sign": params.get("SignName"), "time": time.time()})
        reply(self, 200, {"Code": "OK", "Message": "OK", "BizId": secrets.token_hex(10), "RequestId": rid})

    # -- WeCom --
    def robot(self, q, body):
        a = self.st.args
        if q.get("key") != a.robot_key:
            return reply(self, 200, {"errcode": 93000, "errmsg": "invalid webhook url"})
        scripted = self.scripted("wecom")
        if scripted == "http500":
            return reply(self, 500, {})
        if scripted:
            return reply(self, 200, {"errcode": int(scripted), "errmsg": "scripted"})
        now = time.time()
        with self.st.lock:
            hits = [t for t in self.st.robot_hits.get(a.robot_key, []) if t > now - a.robot_window]
            if len(hits) >= a.robot_limit:
                self.st.stats["rate_limited"] += 1
                return reply(self, 200, {"errcode": 45009, "errmsg": "api freq out of limit"})
            hits.append(now)
            self.st.robot_hits[a.robot_key] = hits
        msg = json.loads(body)
        kind = msg.get("msgtype")
        content = msg.get(kind, {}).get("content", "")
        limit = 2048 if kind == "text" else 4096
        if kind not in ("text", "markdown") or not content or len(content.encode()) > limit:
            return reply(self, 200, {"errcode": 40058, "errmsg": "content invalid"})
        with self.st.lock:
            self.st.sent.append({"provider": "robot", "content": content, "msgtype": kind,
                                 "mentioned_mobile_list": msg.get(kind, {}).get("mentioned_mobile_list", []),
                                 "time": now})
        reply(self, 200, {"errcode": 0, "errmsg": "ok"})

    def app(self, q, body):
        a = self.st.args
        token = q.get("access_token", "")
        with self.st.lock:
            expiry = self.st.tokens.get(token)
        if expiry is None:
            return reply(self, 200, {"errcode": 40014, "errmsg": "invalid access_token"})
        if expiry < time.time():
            return reply(self, 200, {"errcode": 42001, "errmsg": "access_token expired"})
        scripted = self.scripted("wecom")
        if scripted == "http500":
            return reply(self, 500, {})
        if scripted:
            return reply(self, 200, {"errcode": int(scripted), "errmsg": "scripted"})
        msg = json.loads(body)
        if msg.get("agentid") != a.agent_id or not isinstance(msg.get("agentid"), int):
            return reply(self, 200, {"errcode": 40056, "errmsg": "invalid agentid"})
        users = [u for u in msg.get("touser", "").split("|") if u]
        known = [u for u in users if not u.startswith("unknown")]
        invalid = [u for u in users if u.startswith("unknown")]
        if not known:
            return reply(self, 200, {"errcode": 81013, "errmsg": "user & party & tag all invalid"})
        content = msg.get("text", {}).get("content", "")
        now = time.time()
        with self.st.lock:
            k = (msg.get("touser"), content)
            if msg.get("enable_duplicate_check") and now - self.st.app_recent.get(k, -1e18) < msg.get("duplicate_check_interval", 1800):
                self.st.stats["duplicates_dropped"] += 1
            else:
                self.st.app_recent[k] = now
                self.st.sent.append({"provider": "app", "touser": known, "content": content, "time": now})
        reply(self, 200, {"errcode": 0, "errmsg": "ok", "invaliduser": "|".join(invalid), "msgid": secrets.token_hex(8)})


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--selftest", action="store_true", help="check the signatures against the documented examples")
    p.add_argument("--tencent-id", default="AKIDtest")
    p.add_argument("--tencent-key", default="tencent-secret")
    p.add_argument("--tencent-app", default="1400000001")
    p.add_argument("--alibaba-id", default="LTAItest")
    p.add_argument("--alibaba-secret", default="alibaba-secret")
    p.add_argument("--robot-key", default="robot-key")
    p.add_argument("--robot-limit", type=int, default=20)
    p.add_argument("--robot-window", type=float, default=60.0, help="seconds")
    p.add_argument("--corp-id", default="wwcorp")
    p.add_argument("--corp-secret", default="corp-secret")
    p.add_argument("--agent-id", type=int, default=1000002)
    p.add_argument("--slow-reply", type=float, default=1.5, help="seconds a scripted 'timeout' holds the reply")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()
    if args.selftest:
        return selftest()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(args)
    print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
