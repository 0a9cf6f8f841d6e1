// Builders for the zhibanctl entries that share a shape: a query without
// flags, and a request filled from one string flag. Each returns a Command
// (commands.h) with the same help, flags and output as written out by hand.
// IdCommand (commands.h) is the one-flag builder for "--id NOUN id".
#pragma once

#include <functional>
#include <string>

#include "clients/zhibanctl/commands.h"

namespace zhiban::ctl {

// GROUP VERB with no flags: `fill` sets the request case, `print` shows the reply.
Command QueryCommand(std::string group, std::string verb, std::string help,
                     std::function<void(v1::CtlRequest&)> fill,
                     std::function<void(const v1::CtlReply&)> print);

// One string option, e.g. {"--center", "only this center"}; optional unless `required`.
struct StringFlag {
  std::string name;
  std::string help;
  bool required = false;
};

// GROUP VERB FLAG VALUE: `set` puts the value (empty when not given) into the
// request, `print` shows the reply and may quote the value.
Command StringFlagCommand(std::string group, std::string verb, std::string help, StringFlag flag,
                          std::function<void(v1::CtlRequest&, const std::string&)> set,
                          std::function<void(const v1::CtlReply&, const std::string&)> print);

}  // namespace zhiban::ctl
