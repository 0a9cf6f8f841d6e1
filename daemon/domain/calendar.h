// The national calendar (节假日 and 调休) and each center's local exceptions.
//
// Pure: the State Council's yearly notices come in as CalendarYear records;
// Day() answers what a date is. A date in a year whose notice is not loaded
// is an error, never a guess.
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemon/base/date.h"
#include "daemon/base/status.h"
#include "daemon/domain/mutation.h"
#include "zhiban/v1/calendar.pb.h"
#include "zhiban/v1/ctl.pb.h"

namespace zhiban::domain {

class Network;

// The class of a day for hours and pay (DESIGN.md §2, "Statutory days are
// fewer than rest days").
enum class DayClass : uint8_t {
  kWorking,    // 工作日 (and 调休上班日)
  kRest,       // 休息日: comp time for work, else 200 %
  kStatutory,  // 法定节假日: 300 %, never comp time
};

class Calendar {
 public:
  bool HasYear(int year) const { return years_.count(year) > 0; }
  const std::map<int, v1::CalendarYear>& years() const { return years_; }
  const std::map<std::string, v1::CalendarException, std::less<>>& exceptions() const {
    return exceptions_;
  }
  const v1::CalendarException* FindException(std::string_view id) const;

  // What a date is, without allocating (for loops over center-years).
  struct DayInfo {
    v1::DayType type = v1::DAY_TYPE_UNSPECIFIED;
    const std::string* name = nullptr;                 // holiday name, if listed
    bool statutory = false;                            // a statutory holiday (法定节假日)
    const v1::CalendarException* exception = nullptr;  // the center's, if any
    bool closed() const { return exception && exception->kind() == v1::CLOSED; }
  };
  // REQUIRES: HasYear(d.year()); `iso` is FormatDate(d).
  DayInfo Info(Date d, std::string_view iso, std::string_view center_id) const;

  // The national type of a date, then the center's exception (if any).
  Result<v1::CalendarDay> Day(Date d, std::string_view center_id = {}) const;

  // Years among [from, to] with no notice loaded.
  std::vector<int> MissingYears(Date from, Date to) const;

  // Whether `year`'s statutory holidays are loaded (calendar_statutory).
  bool HasStatutory(int year) const;
  // The class of a date for pay, for a person on a regular week: a statutory
  // holiday, a rest day (a weekend, a 调休 rest day) or a working day (a
  // make-up Saturday is one). FAILED_PRECONDITION naming the year and what to
  // load when its notice or its statutory days are missing.
  Result<DayClass> ClassOf(Date d) const;
  // The class of a date for `s` by their rest week: a fixed one (错时) makes
  // their weekdays rest days and every other day but a statutory holiday a
  // working day; a regular or a rota week answers as ClassOf(d) (a rota
  // week's rest days follow the person's duty: see Ledger).
  Result<DayClass> ClassOf(Date d, const v1::Staff& s) const;

  void PutYear(v1::CalendarYear y);
  void PutException(v1::CalendarException e);
  void EraseException(std::string_view id);

 private:
  struct Listed {
    bool off_day;
    std::string name;
    int file_year;
    bool statutory = false;
  };
  void Reindex();

  std::map<int, v1::CalendarYear> years_;
  std::unordered_map<int32_t, Listed> listed_;  // day number -> entry (derived from years_)
  std::map<std::string, v1::CalendarException, std::less<>> exceptions_;
  std::map<std::string, std::vector<std::string>, std::less<>>
      by_center_;  // center -> exception ids
};

// Checks a notice as imported: dates in the year or an adjacent one, each
// once, named; make-up workdays on a Saturday or Sunday. Errors name the entry.
Status ValidateCalendarYear(const v1::CalendarYear& y);

// What a national notice lacks against the law (全国年节及纪念日放假办法): each
// of 元旦, 春节, 清明节, 劳动节, 端午节, 中秋节 and 国庆节 named (a combined name
// such as "国庆节、中秋节" counts for each), with at least the law's days off
// (from 2025: 春节 4 and 劳动节 2; before: 3 and 1; the others 1, 国庆节 3), and
// each festival's rest days one block of consecutive dates. One line per
// problem; empty when complete. zhiband imports an incomplete notice (a
// draft, a test) but says so in the reply and its log (issue 36: a file with
// only 元旦 was taken silently, and every other holiday planned as a workday).
std::vector<std::string> MissingFromNotice(const v1::CalendarYear& y);

// What an operator must act on about the national calendar at `now` (seconds
// since the epoch, read in Beijing time): this year's notice not loaded, or,
// from 1 November, next year's (the State Council publishes it about then,
// and a month planned without it treats every holiday as a workday). Empty
// when nothing is missing. `status` lists them; they are not an outage.
std::vector<std::string> CalendarNotices(const Calendar& cal, int64_t now);

// A re-imported notice keeps the statutory days it still lists as rest days.
Result<Mutation> ImportCalendarYear(const Calendar& cal, v1::CalendarYear y);
// Marks the statutory holidays of a loaded year (replacing earlier marks).
// Every date a rest day of that year's own notice, listed once, named; the
// law named. Errors name the entry.
Result<Mutation> SetStatutoryDays(const Calendar& cal, const v1::StatutoryYear& s);
Result<Mutation> AddException(const Calendar& cal, const Network& net, v1::CalendarException e);
Result<Mutation> RemoveException(const Calendar& cal, std::string_view id);

// Counts of a loaded year (calendar stats).
Result<v1::CalendarStatsReply> YearStats(const Calendar& cal, int year);

}  // namespace zhiban::domain
