#include "daemon/domain/network.h"
#include "daemon/domain/state.h"

#include <set>

#include <gtest/gtest.h>

namespace zhiban::domain {
namespace {

v1::Center C(const std::string& id, const std::string& parent = "") {
  v1::Center c;
  c.set_id(id);
  c.set_name("中心 " + id);
  c.set_parent_id(parent);
  return c;
}

v1::Staff S(const std::string& id, const std::string& center) {
  v1::Staff s;
  s.set_id(id);
  s.set_name("员工 " + id);
  s.set_center_id(center);
  s.add_roles(v1::WORKER);
  return s;
}

class NetworkTest : public ::testing::Test {
 protected:
  void Add(const v1::Center& c) {
    auto m = AddCenter(net_, c);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    Apply(st_, *m);
  }
  void Add(const v1::Staff& s) {
    auto m = AddStaff(net_, s);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    Apply(st_, *m);
  }
  State st_;
  Network& net_ = st_.network;
};

TEST_F(NetworkTest, AddCenterProducesOneEvent) {
  auto m = AddCenter(net_, C("street"));
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->events.size(), 1u);
  EXPECT_EQ(m->events[0].topic(), "center.added");
  EXPECT_EQ(m->events[0].center_id(), "street");
  EXPECT_FALSE(m->events[0].center_added().has_center()) << "the record travels once, by reference";
  EXPECT_EQ(m->FullEvent(0).center_added().center().name(), "中心 street");
}

TEST_F(NetworkTest, AppendedMutationsKeepEachEventOnItsRecord) {
  auto a = AddCenter(net_, C("street"));
  auto b = AddCenter(net_, C("xingfu"));
  ASSERT_TRUE(a.ok() && b.ok());
  a->Append(std::move(*b));
  ASSERT_EQ(a->events.size(), 2u);
  EXPECT_EQ(a->FullEvent(0).center_added().center().id(), "street");
  EXPECT_EQ(a->FullEvent(1).center_added().center().id(), "xingfu")
      << "the second body points past the first's records";
  EXPECT_EQ(a->centers_put.size(), 2u);
}

TEST_F(NetworkTest, RefusesUnknownParentDuplicateAndBadIds) {
  Add(C("street"));
  auto dup = AddCenter(net_, C("street"));
  EXPECT_EQ(dup.status().code(), Code::kAlreadyExists);
  auto orphan = AddCenter(net_, C("c1", "nope"));
  EXPECT_EQ(orphan.status().code(), Code::kNotFound);
  EXPECT_EQ(orphan.status().field(), "center.parent_id");
  auto bad = AddCenter(net_, C("has space"));
  EXPECT_EQ(bad.status().field(), "center.id");
  v1::Center level = C("x");
  level.set_level(static_cast<v1::CenterLevel>(42));
  EXPECT_EQ(AddCenter(net_, level).status().field(), "center.level");
  v1::Center loc = C("y");
  loc.mutable_location()->set_lat(91);
  EXPECT_EQ(AddCenter(net_, loc).status().field(), "center.location.lat");
}

TEST_F(NetworkTest, CenterPhonesAreLandlinesStaffPhonesAreDigits) {
  v1::Center c = C("street");
  for (const char* ok : {"010-65001000", "(010) 6500 1000", "+86 10 6500 1000", "12345"}) {
    c.set_phone(ok);
    EXPECT_TRUE(ValidateCenterFields(c, "").ok()) << ok;
  }
  c.set_phone("call us");
  EXPECT_EQ(ValidateCenterFields(c, "").field(), "phone");
  Add(C("a"));
  v1::Staff s = S("s1", "a");
  s.set_phone("+8613800001111");
  EXPECT_TRUE(AddStaff(net_, s).ok());
  s.set_phone("010-65001000");
  EXPECT_EQ(AddStaff(net_, s).status().field(), "staff.phone");
}

// A fixed rest week (错时) names one or two weekdays 1..7, each once; the
// other rest weeks name none.
TEST_F(NetworkTest, ARestWeekNamesItsWeekdaysOnlyWhenFixed) {
  v1::Staff s = S("s1", "a");
  s.set_rest_week(v1::REST_WEEK_FIXED);
  for (std::vector<uint32_t> ok : {std::vector<uint32_t>{1, 2}, {7}, {6, 3}}) {
    s.clear_rest_weekdays();
    for (uint32_t d : ok) s.add_rest_weekdays(d);
    EXPECT_TRUE(ValidateStaffFields(s, "").ok()) << ok.size();
  }
  auto refused = [&](std::vector<uint32_t> days, v1::RestWeek week, const char* says) {
    s.set_rest_week(week);
    s.clear_rest_weekdays();
    for (uint32_t d : days) s.add_rest_weekdays(d);
    Status st = ValidateStaffFields(s, "staff.");
    EXPECT_EQ(st.field(), "staff.rest_weekdays") << says;
    EXPECT_NE(st.message().find(says), std::string::npos) << st.message();
  };
  refused({}, v1::REST_WEEK_FIXED, "names 1 or 2 weekdays, not 0");
  refused({1, 2, 3}, v1::REST_WEEK_FIXED, "not 3");
  refused({0}, v1::REST_WEEK_FIXED, "0 is not a weekday");
  refused({8}, v1::REST_WEEK_FIXED, "8 is not a weekday");
  refused({2, 2}, v1::REST_WEEK_FIXED, "weekday 2 is named twice");
  refused({1}, v1::REST_WEEK_ROTA, "only a fixed rest week");
  refused({1}, v1::REST_WEEK_UNSPECIFIED, "only a fixed rest week");
  s.clear_rest_weekdays();
  s.set_rest_week(static_cast<v1::RestWeek>(9));
  EXPECT_EQ(ValidateStaffFields(s, "").field(), "rest_week");
}

TEST_F(NetworkTest, UpdateRefusesParentCycle) {
  Add(C("city"));
  Add(C("street", "city"));
  Add(C("community", "street"));
  v1::CenterUpdateRequest req;
  *req.mutable_center() = C("city", "community");
  req.mutable_update_mask()->add_paths("parent_id");
  auto m = UpdateCenter(net_, req);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().field(), "center.parent_id");
  EXPECT_NE(m.status().message().find("cycle"), std::string::npos);
}

TEST_F(NetworkTest, UpdateChangesOnlyMaskedFieldsAndReportsThem) {
  Add(C("street"));
  v1::CenterUpdateRequest req;
  req.mutable_center()->set_id("street");
  req.mutable_center()->set_address("朝阳路 1 号");
  req.mutable_center()->set_name("ignored: not in the mask");
  req.mutable_update_mask()->add_paths("address");
  auto m = UpdateCenter(net_, req);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ(m->centers_put.size(), 1u);
  EXPECT_EQ(m->centers_put[0].name(), "中心 street");
  EXPECT_EQ(m->centers_put[0].address(), "朝阳路 1 号");
  ASSERT_EQ(m->events.size(), 1u);
  EXPECT_EQ(m->events[0].center_updated().changed_fields_size(), 1);
  EXPECT_EQ(m->events[0].center_updated().changed_fields(0), "address");
}

TEST_F(NetworkTest, UpdateRefusesUnknownMaskPathsAndId) {
  Add(C("street"));
  v1::CenterUpdateRequest req;
  req.mutable_center()->set_id("street");
  req.mutable_update_mask()->add_paths("colour");
  EXPECT_EQ(UpdateCenter(net_, req).status().field(), "update_mask");
  req.mutable_update_mask()->set_paths(0, "id");
  EXPECT_EQ(UpdateCenter(net_, req).status().field(), "update_mask");
  req.mutable_update_mask()->Clear();
  EXPECT_EQ(UpdateCenter(net_, req).status().field(), "update_mask");
}

TEST_F(NetworkTest, UnchangedUpdateHasNoEvent) {
  Add(C("street"));
  v1::CenterUpdateRequest req;
  *req.mutable_center() = C("street");
  req.mutable_update_mask()->add_paths("name");
  auto m = UpdateCenter(net_, req);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->events.empty());
  EXPECT_TRUE(m->centers_put.empty()) << "nothing to write";
}

TEST_F(NetworkTest, RemoveRefusedWhileChildrenOrStaffRemain) {
  Add(C("street"));
  Add(C("community", "street"));
  Add(S("s1", "community"));
  EXPECT_EQ(RemoveCenter(net_, "street").status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(RemoveCenter(net_, "community").status().code(), Code::kFailedPrecondition);
  auto rs = RemoveStaff(net_, "s1");
  ASSERT_TRUE(rs.ok());
  Apply(st_, *rs);
  auto rc = RemoveCenter(net_, "community");
  ASSERT_TRUE(rc.ok());
  Apply(st_, *rc);
  EXPECT_TRUE(RemoveCenter(net_, "street").ok());
  EXPECT_EQ(RemoveCenter(net_, "ghost").status().code(), Code::kNotFound);
}

TEST_F(NetworkTest, StaffCoverCentersCountAsReferences) {
  Add(C("a"));
  Add(C("b"));
  v1::Staff s = S("s1", "a");
  s.add_cover_center_ids("b");
  Add(s);
  EXPECT_EQ(net_.StaffReferences("b"), 1);
  EXPECT_EQ(RemoveCenter(net_, "b").status().code(), Code::kFailedPrecondition);
}

TEST_F(NetworkTest, StaffValidation) {
  Add(C("a"));
  v1::Staff s = S("s1", "a");
  s.clear_roles();
  EXPECT_EQ(AddStaff(net_, s).status().field(), "staff.roles");
  s.add_roles(static_cast<v1::Role>(99));
  EXPECT_EQ(AddStaff(net_, s).status().field(), "staff.roles");
  s = S("s1", "a");
  s.add_skills("Social Security");
  EXPECT_EQ(AddStaff(net_, s).status().field(), "staff.skills");
  s = S("s1", "a");
  s.set_phone("138-0000");
  EXPECT_EQ(AddStaff(net_, s).status().field(), "staff.phone");
  s = S("s1", "nowhere");
  EXPECT_EQ(AddStaff(net_, s).status().code(), Code::kNotFound);
  s = S("s1", "a");
  s.add_cover_center_ids("a");
  EXPECT_EQ(AddStaff(net_, s).status().field(), "staff.cover_center_ids");
}

TEST_F(NetworkTest, ImportCentersChecksEveryRowBeforeAnything) {
  Add(C("city"));
  std::vector<ImportRow<v1::Center>> rows = {
      {2, C("street", "city")},
      {3, C("community", "street")},  // parent in the same file, earlier
      {4, C("station", "later")},     // parent later in the file
      {5, C("later", "street")},
  };
  ImportCounts counts;
  ImportErrors errors;
  auto m = ImportCenters(net_, std::vector(rows), &counts, &errors);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(counts.added, 4u);
  EXPECT_EQ(m->events.size(), 4u);

  rows.push_back({6, C("street", "city")});     // duplicate id
  rows.push_back({7, C("bad id!", "city")});    // invalid id
  rows.push_back({8, C("orphan", "missing")});  // unknown parent
  rows.push_back({9, C("loop-a", "loop-b")});   // cycle within the file
  rows.push_back({10, C("loop-b", "loop-a")});
  ImportCounts c2;
  ImportErrors e2;
  auto bad = ImportCenters(net_, std::vector(rows), &c2, &e2);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(e2.total, 5u);
  std::set<uint32_t> rows_named;
  for (const auto& e : e2.errors) rows_named.insert(e.row());
  EXPECT_EQ(rows_named, (std::set<uint32_t>{6, 7, 8, 9, 10}));
}

TEST_F(NetworkTest, ImportStaffUpsertCounts) {
  Add(C("a"));
  Add(S("s1", "a"));
  Add(S("s2", "a"));
  v1::Staff changed = S("s2", "a");
  changed.set_phone("13800001111");
  std::vector<ImportRow<v1::Staff>> rows = {{2, S("s1", "a")}, {3, changed}, {4, S("s3", "a")}};
  ImportCounts counts;
  ImportErrors errors;
  auto m = ImportStaff(net_, std::vector(rows), &counts, &errors);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(counts.unchanged, 1u);
  EXPECT_EQ(counts.updated, 1u);
  EXPECT_EQ(counts.added, 1u);
  ASSERT_EQ(m->events.size(), 2u);
  EXPECT_EQ(m->events[0].topic(), "staff.updated");
  EXPECT_EQ(m->events[1].topic(), "staff.added");
}

TEST_F(NetworkTest, ImportListsAtMostOneHundredRowErrorsButCountsAll) {
  std::vector<ImportRow<v1::Staff>> rows;
  for (uint32_t i = 0; i < 250; ++i) rows.push_back({i + 2, S("s" + std::to_string(i), "nowhere")});
  ImportCounts counts;
  ImportErrors errors;
  EXPECT_FALSE(ImportStaff(net_, std::vector(rows), &counts, &errors).ok());
  EXPECT_EQ(errors.total, 250u);
  EXPECT_EQ(errors.errors.size(), kMaxListedRowErrors);
  EXPECT_EQ(errors.errors[0].column(), "center_id");
}

}  // namespace
}  // namespace zhiban::domain
