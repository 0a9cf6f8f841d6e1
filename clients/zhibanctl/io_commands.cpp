// zhibanctl import | export centers|staff: the service network to and from
// CSV (the columns in clients/lib/records_csv.h).
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "clients/lib/csv.h"
#include "clients/lib/records_csv.h"
#include "clients/zhibanctl/commands.h"
#include "daemon/domain/routes_travel.h"

namespace zhiban::ctl {
namespace {

constexpr size_t kMaxFileBytes = 256u << 20;
constexpr size_t kChunkBytes =
    1u << 20;  // import rows per request, well under ctl.max_request_bytes

int RunImport(Context& ctx, v1::ImportKind kind, const std::string& path, bool dry_run,
              bool gcj02) {
  const Format fmt_ = ctx.g.format();
  auto data = ReadFile(path, kMaxFileBytes);
  if (!data.ok()) return PrintProblem(data.status().message(), kExitUsage, fmt_);
  auto table = client::ParseCsv(*data);
  if (!table.ok())
    return PrintProblem(fmt::format("{}: {}", path, table.status().message()), kExitUsage, fmt_);
  std::vector<v1::Center> centers;
  std::vector<v1::Staff> staff;
  std::vector<client::CellError> cell_errors;
  Status conv = kind == v1::CENTERS ? client::CentersFromCsv(*table, &centers, &cell_errors)
                                    : client::StaffFromCsv(*table, &staff, &cell_errors);
  if (!conv.ok())
    return PrintProblem(fmt::format("{}: {}", path, conv.message()), kExitUsage, fmt_);
  if (!cell_errors.empty()) return PrintCellErrors(ctx, path, cell_errors);
  if (gcj02) {
    for (auto& c : centers) {
      if (c.has_location()) *c.mutable_location() = domain::routes::Gcj02ToWgs(c.location());
    }
  }
  const size_t total = table->rows.size();
  const bool progress = total >= 10000;
  auto call = [&](v1::CtlRequest& req) -> Result<v1::CtlReply> {
    ZB_ASSIGN_OR_RETURN(auto reply, ctx.ctl().Call(req));
    return reply;
  };

  v1::CtlRequest begin;
  begin.mutable_import_begin()->set_kind(kind);
  begin.mutable_import_begin()->set_source(path);
  auto opened = call(begin);
  if (!opened.ok()) return PrintProblem(opened.status().message(), kExitUnavailable, fmt_);
  if (opened->has_error()) return PrintError(opened->error(), fmt_);
  const std::string id = opened->import().import_id();

  auto abort_import = [&] {
    v1::CtlRequest a;
    a.mutable_import_abort()->set_import_id(id);
    (void)ctx.ctl().Call(a);
  };
  size_t sent = 0;
  while (sent < total) {
    v1::CtlRequest req;
    auto* rows = req.mutable_import_rows();
    rows->set_import_id(id);
    size_t bytes = 0;
    while (sent < total && bytes < kChunkBytes) {
      if (kind == v1::CENTERS) {
        bytes += centers[sent].ByteSizeLong() + 4;
        *rows->add_centers() = std::move(centers[sent]);
      } else {
        bytes += staff[sent].ByteSizeLong() + 4;
        *rows->add_staff() = std::move(staff[sent]);
      }
      rows->add_row_numbers(table->rows[sent].row);
      ++sent;
    }
    auto r = call(req);
    if (!r.ok()) return PrintProblem(r.status().message(), kExitUnavailable, fmt_);
    if (r->has_error()) {
      abort_import();
      return PrintError(r->error(), fmt_);
    }
    if (progress) std::cerr << fmt::format("import: sent {}/{} rows\n", sent, total);
  }
  v1::CtlRequest commit;
  commit.mutable_import_commit()->set_import_id(id);
  commit.mutable_import_commit()->set_dry_run(dry_run);
  if (progress) std::cerr << "import: validating and committing…\n";
  return Send(ctx, commit, [&](const v1::CtlReply& r) {
    const auto& i = r.import();
    std::cout << fmt::format("{} {} rows from {}: {} added, {} updated, {} unchanged{}\n",
                             i.committed() ? "imported" : "checked (dry run, nothing written)",
                             i.rows(), path, i.added(), i.updated(), i.unchanged(),
                             i.committed() ? fmt::format(" ({})", SeqNote(r)) : "");
  });
}

int RunExport(Context& ctx, v1::ImportKind kind, const std::string& out_path, bool bom) {
  std::string csv = bom ? "\xEF\xBB\xBF" : "";
  client::AppendCsvRow(kind == v1::CENTERS ? client::kCenterColumns : client::kStaffColumns, &csv);
  size_t n = 0;
  Status s = ListAll(
      ctx, 0,
      [&](v1::CtlRequest& req, uint32_t want, const std::string& after) {
        if (kind == v1::CENTERS) {
          req.mutable_center_list()->set_limit(want);
          req.mutable_center_list()->set_after_id(after);
        } else {
          req.mutable_staff_list()->set_limit(want);
          req.mutable_staff_list()->set_after_id(after);
        }
      },
      [&](const v1::CtlReply& r, std::string* next) -> uint32_t {
        if (kind == v1::CENTERS) {
          for (const auto& c : r.center_list().centers())
            client::AppendCsvRow(client::CenterToRow(c), &csv);
          *next = r.center_list().next_after_id();
          n += r.center_list().centers_size();
          return r.center_list().centers_size();
        }
        for (const auto& st : r.staff_list().staff())
          client::AppendCsvRow(client::StaffToRow(st), &csv);
        *next = r.staff_list().next_after_id();
        n += r.staff_list().staff_size();
        return r.staff_list().staff_size();
      });
  if (!s.ok()) return ListProblem(ctx, s);
  return WriteOutput(ctx, out_path, csv, fmt::format("{} records", n));
}

// The import and export entries for one kind: `verb` is "centers" or "staff".
Command Import(const char* verb, v1::ImportKind kind) {
  return {"import", verb,
          fmt::format("upsert {} from a UTF-8 CSV file (header row; all rows checked "
                      "before anything is written)",
                      verb),
          [kind](CLI::App* app) -> Runner {
            auto file = std::make_shared<std::string>();
            auto dry = std::make_shared<bool>(false), gcj = std::make_shared<bool>(false);
            app->add_option("file", *file, "CSV file")->required();
            app->add_flag("--dry-run", *dry, "validate and count; write nothing");
            if (kind == v1::CENTERS) {
              app->add_flag("--gcj02", *gcj,
                            "lat/lon are GCJ-02, copied from a Chinese map (Amap, Tencent): "
                            "convert them to WGS-84, which zhiband stores");
            }
            return [=](Context& ctx) { return RunImport(ctx, kind, *file, *dry, *gcj); };
          }};
}

Command Export(const char* verb, v1::ImportKind kind) {
  return {"export", verb, fmt::format("write {} as CSV (the import format)", verb),
          [kind](CLI::App* app) -> Runner {
            auto out = std::make_shared<std::string>();
            auto no_bom = std::make_shared<bool>(false);
            app->add_option("--out", *out, "file (default: stdout)");
            app->add_flag("--no-bom", *no_bom,
                          "omit the UTF-8 BOM spreadsheets use to detect UTF-8");
            return [=](Context& ctx) { return RunExport(ctx, kind, *out, !*no_bom); };
          }};
}

}  // namespace

void AddIoCommands(std::vector<Command>& cmds) {
  cmds.push_back(Import("centers", v1::CENTERS));
  cmds.push_back(Export("centers", v1::CENTERS));
  cmds.push_back(Import("staff", v1::STAFF));
  cmds.push_back(Export("staff", v1::STAFF));
}

}  // namespace zhiban::ctl
