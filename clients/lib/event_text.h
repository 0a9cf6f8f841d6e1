// EventText: the one Chinese sentence an event reads as, for people — the
// summary column of `zhibanctl events tail` and the console notifier's line
// for events its routes do not cover. Third person ("李娜已签到：…"); the
// notices addressed to one person are the SDK's default templates
// (plugins/sdk/default_templates.cpp), which say the same things to "您".
//
// Every body of zhiban.v1.Event has its sentence (a unit test walks the
// oneof): no topic, enum or proto field name reaches the text, and a time
// nobody set reads "未定". Residents appear by name and masked card only, as
// the bus carries them.
#pragma once

#include <string>
#include <string_view>

#include "zhiban/v1/events.pb.h"

namespace zhiban::client {

std::string EventText(const v1::Event& e);

// "2026-09-16 18:00", Beijing time, as every text for people writes a time
// (EventText, the notifiers' templates); a time nobody set reads "未定", never
// 1970-01-01.
std::string LocalMinute(const google::protobuf::Timestamp& t);

// A record field's name as people read it ("phone" -> "电话"), for
// changed_fields; a field without one reads "其他信息".
std::string_view FieldLabel(std::string_view field);

// Why a rotation turn was not taken, as people say it ("休假", "工时规定"),
// for Shift.turn_skipped; empty when unspecified.
std::string_view TurnSkipWord(v1::TurnSkipReason reason);

// "（本为李娜轮值，休假）": the rotation turn `s` went without, for a text
// that names who holds it; empty when the turn was taken (or is the
// holder's again).
std::string TurnSkipNote(const v1::Shift& s);

}  // namespace zhiban::client
