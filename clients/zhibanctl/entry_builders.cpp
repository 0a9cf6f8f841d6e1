// The shared entry builders; see entry_builders.h.
#include "clients/zhibanctl/entry_builders.h"

#include <memory>
#include <utility>

namespace zhiban::ctl {

Command QueryCommand(std::string group, std::string verb, std::string help,
                     std::function<void(v1::CtlRequest&)> fill,
                     std::function<void(const v1::CtlReply&)> print) {
  return {std::move(group), std::move(verb), std::move(help), [=](CLI::App*) -> Runner {
            return [=](Context& ctx) {
              v1::CtlRequest req;
              fill(req);
              return Send(ctx, req, print);
            };
          }};
}

Command StringFlagCommand(std::string group, std::string verb, std::string help, StringFlag flag,
                          std::function<void(v1::CtlRequest&, const std::string&)> set,
                          std::function<void(const v1::CtlReply&, const std::string&)> print) {
  return {std::move(group), std::move(verb), std::move(help), [=](CLI::App* app) -> Runner {
            auto value = std::make_shared<std::string>();
            auto* o = app->add_option(flag.name, *value, flag.help);
            if (flag.required) o->required();
            return [=](Context& ctx) {
              v1::CtlRequest req;
              set(req, *value);
              return Send(ctx, req, [&](const v1::CtlReply& r) { print(r, *value); });
            };
          }};
}

}  // namespace zhiban::ctl
