// The local SMS and WeCom provider servers (tests/providers/fake_providers.py)
// as a child process, for the notifier tests and zhiban-bench notify.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/process.h"

namespace zhiban::test {

class FakeProviders {
 public:
  // Starts it on a port of its choosing and waits for its "listening on" line.
  explicit FakeProviders(const std::string& log, std::vector<std::string> extra = {});
  bool started() const { return port_ > 0; }
  std::string addr() const;
  std::string url(const std::string& path = "/") const;
  nlohmann::json Sent() const;   // every message accepted, in order
  nlohmann::json Stats() const;  // requests, bad signatures, duplicates dropped, rate limited
  bool Control(const nlohmann::json& c);  // scripted failures, delays, token expiry

 private:
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

// The route and template the SMS tests and the bench send with: each
// staff.added to the staff member, approved template 2001234 (name, center).
extern const char* const kWelcomeSmsRoute;

}  // namespace zhiban::test
