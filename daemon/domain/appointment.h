// Appointments (预约): a resident or an organisation books a service (a
// staff member with its skill) and/or a room at a center. Inside the
// center's open hours the booking goes to a free person on duty with the
// skill; outside them it must fall in an APPOINTMENT window of the center's
// policy and becomes an APPOINTMENT shift, staffed through the rota (rota.h
// StaffExtraShift: the center's pool, leave, every working-time rule).
// Weekend and holiday bookings need notice in working days; a room is never
// booked twice at once. Pure like the rest of domain/.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/base/status.h"
#include "daemon/domain/mutation.h"
#include "daemon/domain/rota.h"
#include "zhiban/v1/ctl.pb.h"
#include "zhiban/v1/visit.pb.h"

namespace zhiban::domain {

class AppointmentBook {
 public:
  const std::map<std::string, v1::Appointment, std::less<>>& all() const { return all_; }
  const v1::Appointment* Find(std::string_view id) const;
  // BOOKED appointments of a center overlapping [from, to) (seconds), by start.
  std::vector<const v1::Appointment*> Overlapping(std::string_view center, int64_t from,
                                                  int64_t to) const;

  void Put(v1::Appointment a);

 private:
  void Index(const v1::Appointment& a, int sign);
  std::map<std::string, v1::Appointment, std::less<>> all_;
  // center -> (start, id) of BOOKED appointments
  std::unordered_map<std::string, std::multimap<int64_t, std::string>> by_center_;
};

inline constexpr uint32_t kMaxAppointmentMinutes = 12 * 60;

Result<Mutation> BookAppointment(const RotaCtx& ctx, const v1::AppointmentBookRequest& req,
                                 uint64_t serial);
Result<Mutation> CancelAppointment(const RotaCtx& ctx, const v1::AppointmentCancelRequest& req);
Status ListAppointments(const RotaCtx& ctx, const v1::AppointmentListRequest& req,
                        v1::AppointmentListReply* out);

}  // namespace zhiban::domain
