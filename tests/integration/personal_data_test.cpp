// Residents' personal data at rest through the real zhiband (issue 17): a
// resident's distinctive values are nowhere in the clear in any file of the
// data dir (SST, WAL, MANIFEST, ...) or of a data backup, while zhiband still
// answers them to an audited full read, after a restart too; the master key
// file must be the owner's only.
#include <sys/stat.h>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/ctl_expect.h"

namespace zhiban::test {
namespace {

namespace fs = std::filesystem;

// Distinctive values: none can appear in a file by chance.
constexpr const char* kId = "rzq917";
constexpr const char* kPhone = "13987654321";
constexpr const char* kIdNumber = "11010519491231002X";
constexpr const char* kRoom = "7单元909室";
constexpr const char* kHealth = "独特病史ZX9";
constexpr const char* kContactPhone = "13611112222";
constexpr const char* kName = "欧阳秀珍";
constexpr const char* kChecklist = "血压偏高QK3";

// The files under `dir` (recursively) whose bytes contain `text`.
std::vector<std::string> FilesHolding(const std::string& dir, const std::string& text) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (!e.is_regular_file()) continue;
    if (Slurp(e.path().string()).find(text) != std::string::npos) out.push_back(e.path().string());
  }
  return out;
}

TEST(PersonalDataAtRest, NoFileOfTheDataDirOrABackupHoldsAResidentsValuesInClear) {
  DaemonFixture d({"--clock", "simulated:2026-01-05T08:00:00+08:00"});
  d.Start();
  LoadDemoStreet(d);
  CtlOk(d, {"resident",       "add",
            "--id",           kId,
            "--name",         kName,
            "--center",       "xingfu",
            "--address",      "幸福路8号3栋",
            "--room",         kRoom,
            "--phone",        kPhone,
            "--id-number",    kIdNumber,
            "--categories",   "ELDERLY_ALONE",
            "--tier",         "HIGH_RISK",
            "--basis",        "STATUTORY_DUTY",
            "--health-notes", kHealth,
            "--emergency",    fmt::format("王小明:{}", kContactPhone)});
  // A care visit completed with its checklist: visits are sealed too.
  auto v =
      CtlJson(d, {"visit", "request", "--id", "v1", "--resident", kId, "--service", "care-visit",
                  "--window", "2026-01-05T10:00:00+08:00/2026-01-05T12:00:00+08:00"});
  ASSERT_EQ(v["state"], "VISIT_ASSIGNED");
  const std::string who = v["assignee_id"];
  CtlOk(d, {"visit", "accept", "--id", "v1", "--staff", who});
  CtlOk(d, {"clock", "set", "2026-01-05T09:45:00+08:00"});  // a visit starts near its window
  for (const char* step : {"start", "arrive"})
    CtlOk(d, {"visit", step, "--id", "v1", "--staff", who});
  CtlOk(d, {"visit", "complete", "--id", "v1", "--staff", who, "--outcome", "探访完成", "--health",
            kChecklist, "--rating", "5"});
  CtlOk(d, {"backup", "create", "--dir", "b1"});

  const std::string data = d.data_dir();
  const std::string backups = data + "-backups";
  const std::string keys = data + "-keys";
  ASSERT_TRUE(fs::exists(backups + "/b1"));
  ASSERT_TRUE(fs::exists(keys + "/master.key")) << "created at the first start";
  struct stat st {};
  ASSERT_EQ(::stat((keys + "/master.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto check = [&](const std::string& when) {
    // The search reaches every file: the resident id is stored in clear (the key).
    EXPECT_FALSE(FilesHolding(data, kId).empty()) << when;
    EXPECT_FALSE(FilesHolding(backups, kId).empty()) << when;
    for (const char* text : {kPhone, kIdNumber, kRoom, kHealth, kContactPhone, kName, kChecklist}) {
      for (const auto& dir : {data, backups}) {
        auto found = FilesHolding(dir, text);
        EXPECT_TRUE(found.empty())
            << when << ": \"" << text << "\" in clear in " << (found.empty() ? "" : found.front());
      }
    }
    // No key lives with the data or its backups.
    EXPECT_FALSE(fs::exists(data + "/master.key"));
  };
  check("running (WAL)");
  // zhiband still has them: an audited full read, the bus's card as before.
  auto full = CtlJson(d, {"resident", "show", "--id", kId, "--full", "--purpose", "核实"});
  EXPECT_EQ(full["phone"], kPhone);
  EXPECT_EQ(full["id_number"], kIdNumber);
  auto card = CtlJson(d, {"resident", "show", "--id", kId});
  EXPECT_EQ(card["name"], kName);
  // A replayed event carries the card as published (opened from its sealed form).
  bool replayed = false;
  for (const auto& e : d.EventsAfter(0)) {
    if (e.has_resident_added() && e.resident_added().resident().id() == kId) {
      EXPECT_EQ(e.resident_added().resident().name(), kName);
      EXPECT_EQ(e.resident_added().resident().masked_phone(), "139****4321");
      EXPECT_TRUE(e.resident_added().resident().sealed().empty());
      replayed = true;
    }
  }
  EXPECT_TRUE(replayed);
  ASSERT_EQ(d.Stop(), 0);
  check("stopped (flushed to SST)");

  d.Start();
  full = CtlJson(d, {"resident", "show", "--id", kId, "--full", "--purpose", "核实"});
  EXPECT_EQ(full["health_notes"], kHealth);
  auto visit = CtlJson(d, {"visit", "show", "--id", "v1"});
  EXPECT_EQ(visit["outcome"], "探访完成") << "the sealed part of a visit opens after a restart";
  ASSERT_EQ(d.Stop(), 0);

  // A master key file others may read: zhiband refuses to start, naming it.
  ASSERT_EQ(::chmod((keys + "/master.key").c_str(), 0644), 0);
  auto run = test::Run({BinDir() + "/zhiband", "--data-dir", data, "--ctl", d.ctl(), "--pub",
                        d.pub(), "--replay", d.replay(), "--http", "127.0.0.1:0"});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE((run.out + run.err).find("chmod 600"), std::string::npos) << run.out << run.err;
}

// Adds resident `id` with values that end in `tag`, and completes a care
// visit `visit` for them with a checklist that ends in `tag` too.
void AddWithVisit(DaemonFixture& d, const std::string& id, const std::string& tag,
                  const std::string& visit, const std::string& window,
                  const std::string& start_at) {
  CtlOk(d, {"resident",       "add",
            "--id",           id,
            "--name",         "姓名" + tag,
            "--center",       "xingfu",
            "--address",      "幸福路" + tag,
            "--room",         "房间" + tag,
            "--phone",        "1390000" + tag,
            "--id-number",    "11010519491231" + tag,
            "--categories",   "ELDERLY_ALONE",
            "--tier",         "HIGH_RISK",
            "--basis",        "STATUTORY_DUTY",
            "--health-notes", "病史" + tag});
  auto v = CtlJson(d, {"visit", "request", "--id", visit, "--resident", id, "--service",
                       "care-visit", "--window", window});
  ASSERT_EQ(v["state"], "VISIT_ASSIGNED");
  const std::string who = v["assignee_id"];
  CtlOk(d, {"visit", "accept", "--id", visit, "--staff", who});
  CtlOk(d, {"clock", "set", start_at});  // a visit starts near its window
  for (const char* step : {"start", "arrive"})
    CtlOk(d, {"visit", step, "--id", visit, "--staff", who});
  CtlOk(d, {"visit", "complete", "--id", visit, "--staff", who, "--outcome", "结果" + tag,
            "--health", "检查" + tag, "--rating", "5"});
}

// What a zhiband can still read of resident `id` with the master key and the
// key store in hand: the full record, their visits' outcome and the cards of
// every stored event (replayed, so opened with their key), as one text.
std::string Readable(DaemonFixture& d, const std::string& id, const std::string& visit) {
  std::string out;
  auto full = d.Ctl({"-o", "json", "resident", "show", "--id", id, "--full", "--purpose", "核查"});
  if (full.exit_code == 0) out += full.out;
  auto v = d.Ctl({"-o", "json", "visit", "show", "--id", visit});
  if (v.exit_code == 0) out += v.out;
  for (const auto& e : d.EventsAfter(0)) out += e.DebugString();
  return out;
}

// The erasure test of issue 17: after `resident erase`, neither the data dir
// nor a data backup taken before the erasure yields any of the resident's
// values, decrypting all that can be (a zhiband started on them with the
// master key and the current key store), nor any file in clear; the same
// search finds a resident not erased.
TEST(PersonalDataAtRest, AnErasedResidentIsGoneFromTheStoreAndFromBackupsTakenBefore) {
  DaemonFixture d({"--clock", "simulated:2026-01-05T08:00:00+08:00"});
  d.Start();
  LoadDemoStreet(d);
  AddWithVisit(d, "gone1", "4111", "va", "2026-01-05T10:00:00+08:00/2026-01-05T12:00:00+08:00",
               "2026-01-05T09:45:00+08:00");
  AddWithVisit(d, "kept2", "4222", "vb", "2026-01-05T13:00:00+08:00/2026-01-05T15:00:00+08:00",
               "2026-01-05T12:45:00+08:00");
  CtlOk(d, {"backup", "create", "--dir", "before"});
  const std::vector<std::string> gone = {
      "姓名4111",           "幸福路4111", "房间4111", "13900004111",
      "110105194912314111", "病史4111",   "结果4111", "检查4111"};
  const std::vector<std::string> kept = {"姓名4222", "13900004222", "110105194912314222",
                                         "病史4222", "结果4222"};
  {
    const std::string before = Readable(d, "gone1", "va");
    for (const auto& text : {gone[0], gone[4], gone[6]})
      EXPECT_NE(before.find(text), std::string::npos) << "readable before the erasure: " << text;
  }

  auto refused = d.Ctl({"resident", "erase", "--id", "gone1", "--reason", ""});
  EXPECT_NE(refused.exit_code, 0) << "a reason is required";
  CtlOk(d, {"resident", "erase", "--id", "gone1", "--reason",
            "本人申请删除（个人信息保护法第四十七条）"});
  EXPECT_NE(d.Ctl({"resident", "show", "--id", "gone1"}).exit_code, 0);
  EXPECT_NE(CtlOk(d, {"audit", "list", "--limit", "5"}).out.find("resident gone1 erased"),
            std::string::npos);

  const std::string data = d.data_dir();
  const std::string keys = data + "-keys";
  auto search = [&](DaemonFixture& f, const std::string& files, const std::string& when) {
    const std::string of_gone = Readable(f, "gone1", "va");
    for (const auto& text : gone) {
      EXPECT_EQ(of_gone.find(text), std::string::npos) << when << ": readable: " << text;
      EXPECT_TRUE(FilesHolding(files, text).empty()) << when << ": in clear: " << text;
    }
    const std::string of_kept = Readable(f, "kept2", "vb");
    for (const auto& text : kept)
      EXPECT_NE(of_kept.find(text), std::string::npos) << when << ": not erased, found: " << text;
  };
  search(d, data, "the data dir, running");
  // The key store is backed up on its own, apart from the data backups.
  CtlOk(d, {"backup", "create", "--keys", "--dir", "k1"});
  EXPECT_TRUE(fs::exists(keys + "-backups/k1/CURRENT"));
  EXPECT_NE(d.Ctl({"backup", "create", "--keys", "--dir", data + "-backups/k2"}).exit_code, 0)
      << "never beside the data backups";
  ASSERT_EQ(d.Stop(), 0);
  d.Start();
  search(d, data, "the data dir, restarted");
  ASSERT_EQ(d.Stop(), 0);

  // The backup taken before the erasure, restored with the current key store.
  const std::string restored = d.dir() / "restored";
  fs::copy(data + "-backups/before", restored, fs::copy_options::recursive);
  const std::string config = d.dir() / "restore.toml";
  { std::ofstream(config) << fmt::format("[personal_data]\nkey_dir = \"{}\"\n", keys); }
  DaemonFixture r({"--clock", "simulated:2026-01-05T08:00:00+08:00", "--config", config});
  r.UseDataDir(restored);
  r.Start();
  search(r, restored, "a data backup taken before the erasure");
  EXPECT_EQ(r.Stop(), 0);
}

// The master key is rotated while zhiband serves: the new file opens the key
// store at the next start, the old one is refused then.
TEST(PersonalDataAtRest, TheMasterKeyRotatesWithoutAStop) {
  DaemonFixture d({"--clock", "simulated:2026-01-05T08:00:00+08:00"});
  d.Start();
  LoadDemoStreet(d);
  CtlOk(d, {"resident", "add", "--id", kId, "--name", kName, "--center", "xingfu", "--phone",
            kPhone, "--basis", "STATUTORY_DUTY"});
  const std::string next = d.dir() / "master-2.key";
  { std::ofstream(next) << std::string(32, 'k'); }
  ASSERT_EQ(::chmod(next.c_str(), 0644), 0);
  EXPECT_NE(d.Ctl({"master-key", "rotate", "--file", next}).exit_code, 0)
      << "a key file others may read is refused";
  ASSERT_EQ(::chmod(next.c_str(), 0600), 0);
  CtlOk(d, {"master-key", "rotate", "--file", next});
  CtlOk(d, {"resident", "add", "--id", "after2", "--name", "李四", "--center", "xingfu", "--basis",
            "STATUTORY_DUTY"});
  ASSERT_EQ(d.Stop(), 0);

  const std::string data = d.data_dir();
  auto old = test::Run({BinDir() + "/zhiband", "--data-dir", data, "--ctl", d.ctl(), "--pub",
                        d.pub(), "--replay", d.replay(), "--http", "127.0.0.1:0"});
  EXPECT_NE(old.exit_code, 0);
  EXPECT_NE((old.out + old.err).find("master_key_file must name the new file"), std::string::npos)
      << old.out << old.err;

  const std::string config = d.dir() / "rotated.toml";
  { std::ofstream(config) << fmt::format("[personal_data]\nmaster_key_file = \"{}\"\n", next); }
  DaemonFixture r({"--clock", "simulated:2026-01-05T08:00:00+08:00", "--config", config});
  r.UseDataDir(data);
  r.Start();
  auto full = CtlJson(r, {"resident", "show", "--id", kId, "--full", "--purpose", "核实"});
  EXPECT_EQ(full["phone"], kPhone);
  EXPECT_EQ(CtlJson(r, {"resident", "show", "--id", "after2"})["name"], "李四");
  EXPECT_EQ(r.Stop(), 0);
}

}  // namespace
}  // namespace zhiban::test
