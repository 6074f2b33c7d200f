// Messenger semantics, schedules: interval with max runs, one-off, cron with seconds in a time
// zone, list/show/enable/disable/delete over the CLI, validation, durability across kill -9, and
// a run missed while the broker was down firing once on recovery.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "tests/messenger/messenger_util.h"

namespace symphony::testing::messenger {
namespace {

json create_schedule(const BrokerProcess& broker, std::vector<std::string> args) {
  args.insert(args.begin(), {"schedule", "create"});
  args.push_back("--json");
  auto r = run_cli(broker, args);
  EXPECT_EQ(r.code, 0) << r.err;
  if (r.code != 0) return json();
  return json::parse(r.out);
}

json show_schedule(const BrokerProcess& broker, uint64_t id) {
  auto r = run_cli(broker, {"schedule", "show", std::to_string(id), "--json"});
  EXPECT_EQ(r.code, 0) << r.err;
  return r.code == 0 ? json::parse(r.out) : json();
}

std::set<uint64_t> listed_ids(const BrokerProcess& broker) {
  auto r = run_cli(broker, {"schedule", "list", "--json"});
  EXPECT_EQ(r.code, 0) << r.err;
  std::set<uint64_t> ids;
  for (const auto& l : json_lines(r.out)) ids.insert(l["id"].get<uint64_t>());
  return ids;
}

TEST(MessengerSchedules, FireListEnableDisableDeleteValidateAndSurviveKill9) {
  BrokerProcess broker;
  auto c = connect(broker);
  auto cron_consumer = connect(broker);
  cron_consumer->subscribe({"cron"}, 100);

  const int64_t at_ms = now_ms() + 500;
  const json every = create_schedule(broker, {"--every", "300ms", "--type", "Tick", "--queue",
                                              "ticks", "--max-runs", "3", "--name", "ticker"});
  ASSERT_TRUE(every.is_object());
  EXPECT_EQ(every["kind"], "interval");
  EXPECT_EQ(every["interval_ms"], 300);
  EXPECT_EQ(every["max_runs"], 3);
  EXPECT_EQ(every["run_count"], 0);
  const json once =
      create_schedule(broker, {"--at", std::to_string(at_ms), "--type", "Once", "--queue", "once"});
  ASSERT_TRUE(once.is_object());
  EXPECT_EQ(once["kind"], "once");
  const json cron =
      create_schedule(broker, {"--cron", "* * * * * *", "--timezone", "Europe/Berlin", "--type",
                               "Cron", "--queue", "cron", "--payload", R"({"k":"v"})"});
  ASSERT_TRUE(cron.is_object());
  EXPECT_EQ(cron["kind"], "cron");
  EXPECT_EQ(cron["timezone"], "Europe/Berlin");
  const uint64_t every_id = every["id"], once_id = once["id"], cron_id = cron["id"];

  // --every 300ms --max-runs 3 fires 3 times; --at fires once, not before its time
  int64_t once_seen_at = 0;
  EXPECT_TRUE(wait_for(
      [&] {
        const uint64_t ticks = queue_stats(*c, "ticks").ready;
        const uint64_t ones = queue_stats(*c, "once").ready;
        if (ones > 0 && once_seen_at == 0) once_seen_at = now_ms();
        return ticks >= 3 && ones >= 1;
      },
      15s));
  EXPECT_GE(once_seen_at, at_ms) << "the one-off fired before its time";
  std::this_thread::sleep_for(1100ms);
  EXPECT_EQ(queue_stats(*c, "ticks").ready, 3u) << "a 4th run after max_runs";
  EXPECT_EQ(queue_stats(*c, "once").ready, 1u) << "a one-off ran twice";
  json shown = show_schedule(broker, every_id);
  EXPECT_EQ(shown["run_count"], 3);
  EXPECT_EQ(shown["next_run_at"], "-");
  EXPECT_EQ(shown["name"], "ticker");
  shown = show_schedule(broker, once_id);
  EXPECT_EQ(shown["run_count"], 1);
  EXPECT_EQ(shown["next_run_at"], "-");
  {
    auto tick_consumer = connect(broker);
    tick_consumer->subscribe({"ticks"}, 10);
    const auto ticks = receive_n(*tick_consumer, 3);
    ASSERT_EQ(ticks.size(), 3u);
    // run k is at start_at + k * 300 ms, never before (later if the machine is busy)
    const int64_t start_at = c->schedule_get(every_id).spec.start_at_ms;
    std::vector<int64_t> created;
    for (const auto& d : ticks) {
      EXPECT_EQ(d.type, "Tick");
      created.push_back(d.created_at_ms);
    }
    std::sort(created.begin(), created.end());
    for (size_t k = 0; k < created.size(); ++k) {
      EXPECT_GE(created[k], start_at + static_cast<int64_t>(k) * 300) << "run " << k << " early";
    }
  }

  // cron "* * * * * *" fires about once a second, on the second
  const auto cron_runs = receive_n(*cron_consumer, 3, 10s);
  ASSERT_EQ(cron_runs.size(), 3u);
  for (size_t i = 0; i < cron_runs.size(); ++i) {
    EXPECT_EQ(cron_runs[i].type, "Cron");
    EXPECT_EQ(json::parse(cron_runs[i].payload)["k"], "v");
    if (i > 0) {
      // one run per second slot at most (a late run skips to the next slot), and no long gaps
      EXPECT_GT(cron_runs[i].created_at_ms / 1000, cron_runs[i - 1].created_at_ms / 1000)
          << "two cron runs in one second";
      EXPECT_LE(cron_runs[i].created_at_ms - cron_runs[i - 1].created_at_ms, 2500)
          << "cron runs too far apart";
    }
  }

  // list and show
  EXPECT_EQ(listed_ids(broker), (std::set<uint64_t>{every_id, once_id, cron_id}));
  auto human = run_cli(broker, {"schedule", "list"});
  ASSERT_EQ(human.code, 0) << human.err;
  EXPECT_NE(human.out.find("every 300 ms"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("cron '* * * * * *' Europe/Berlin"), std::string::npos) << human.out;
  shown = show_schedule(broker, cron_id);
  EXPECT_EQ(shown["cron"], "* * * * * *");
  EXPECT_EQ(shown["enabled"], true);
  EXPECT_EQ(shown["message"]["type"], "Cron");
  EXPECT_EQ(shown["message"]["queue"], "cron");
  EXPECT_GE(shown["run_count"].get<uint64_t>(), 3u);

  // disable stops the firings, enable resumes them
  auto dis = run_cli(broker, {"schedule", "disable", std::to_string(cron_id), "--json"});
  ASSERT_EQ(dis.code, 0) << dis.err;
  EXPECT_EQ(json::parse(dis.out)["enabled"], false);
  EXPECT_EQ(json::parse(dis.out)["next_run_at"], "-");
  const uint64_t fired = queue_stats(*c, "cron").dispatched_total;
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(queue_stats(*c, "cron").dispatched_total, fired) << "a disabled schedule fired";
  auto en = run_cli(broker, {"schedule", "enable", std::to_string(cron_id), "--json"});
  ASSERT_EQ(en.code, 0) << en.err;
  EXPECT_EQ(json::parse(en.out)["enabled"], true);
  EXPECT_NE(json::parse(en.out)["next_run_at"], "-");
  EXPECT_TRUE(wait_for([&] { return queue_stats(*c, "cron").dispatched_total > fired; }, 5s))
      << "an enabled schedule did not fire";

  // invalid schedules are refused naming the field, and nothing is created
  struct Bad {
    std::vector<std::string> args;
    const char* field;
  };
  const Bad bad[] = {
      {{"--cron", "61 * * * *", "--type", "T"}, "cron"},
      {{"--cron", "0 * * * *", "--timezone", "Mars/Olympus_Mons", "--type", "T"}, "timezone"},
      {{"--every", "5ms", "--type", "T"}, "interval"},
  };
  for (const Bad& b : bad) {
    std::vector<std::string> args{"schedule", "create"};
    args.insert(args.end(), b.args.begin(), b.args.end());
    auto r = run_cli(broker, args);
    EXPECT_EQ(r.code, 2) << b.field << ": " << r.out << r.err;
    EXPECT_NE(r.err.find("INVALID_SCHEDULE"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(b.field), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  auto zero = run_cli(broker, {"schedule", "create", "--every", "0", "--type", "T"});
  EXPECT_NE(zero.code, 0) << zero.out;
  EXPECT_NE(zero.err.find("--every"), std::string::npos) << zero.err;
  protocol::ScheduleSpec zero_spec;
  zero_spec.kind = protocol::ScheduleKind::kInterval;
  zero_spec.interval_ms = 0;
  zero_spec.type = "T";
  try {
    c->schedule_create(zero_spec);
    ADD_FAILURE() << "an interval of 0 was accepted";
  } catch (const client::ClientError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidSchedule) << e.what();
    EXPECT_NE(std::string(e.what()).find("interval"), std::string::npos) << e.what();
  }
  EXPECT_EQ(listed_ids(broker), (std::set<uint64_t>{every_id, once_id, cron_id}));

  // delete
  const json doomed = create_schedule(broker, {"--every", "1h", "--type", "T", "--disabled"});
  ASSERT_TRUE(doomed.is_object());
  EXPECT_EQ(doomed["enabled"], false);
  auto del = run_cli(
      broker, {"schedule", "delete", std::to_string(doomed["id"].get<uint64_t>()), "--json"});
  ASSERT_EQ(del.code, 0) << del.err;
  EXPECT_EQ(json::parse(del.out)["deleted"], true);
  auto gone = run_cli(broker, {"schedule", "show", std::to_string(doomed["id"].get<uint64_t>())});
  EXPECT_EQ(gone.code, 2);
  EXPECT_NE(gone.err.find("UNKNOWN_SCHEDULE"), std::string::npos) << gone.err;
  EXPECT_EQ(listed_ids(broker), (std::set<uint64_t>{every_id, once_id, cron_id}));

  // kill -9: same schedules, same run counts (the cron one disabled first so that it holds still)
  ASSERT_EQ(run_cli(broker, {"schedule", "disable", std::to_string(cron_id)}).code, 0);
  std::map<uint64_t, protocol::ScheduleInfo> before;
  for (auto& s : c->schedule_list()) before[s.id] = s;
  ASSERT_EQ(before.size(), 3u);
  c.reset();
  cron_consumer.reset();
  broker.kill9();
  BrokerProcess again({}, broker.data_dir());
  auto c2 = connect(again);
  std::map<uint64_t, protocol::ScheduleInfo> after;
  for (auto& s : c2->schedule_list()) after[s.id] = s;
  ASSERT_EQ(after.size(), 3u);
  for (const auto& [id, b] : before) {
    SCOPED_TRACE(id);
    ASSERT_TRUE(after.count(id));
    const auto& a = after[id];
    EXPECT_EQ(a.run_count, b.run_count);
    EXPECT_EQ(a.spec.enabled, b.spec.enabled);
    EXPECT_EQ(a.spec.kind, b.spec.kind);
    EXPECT_EQ(a.spec.type, b.spec.type);
    EXPECT_EQ(a.spec.queue, b.spec.queue);
    EXPECT_EQ(a.spec.interval_ms, b.spec.interval_ms);
    EXPECT_EQ(a.spec.cron, b.spec.cron);
    EXPECT_EQ(a.spec.timezone, b.spec.timezone);
    EXPECT_EQ(a.next_run_at_ms, b.next_run_at_ms);
    EXPECT_EQ(a.last_run_at_ms, b.last_run_at_ms);
  }
  EXPECT_EQ(queue_stats(*c2, "ticks").ready, 3u);
  EXPECT_EQ(queue_stats(*c2, "once").ready, 1u);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(c2->schedule_get(every_id).run_count, 3u) << "a finished schedule ran after recovery";
  // and the recovered cron schedule still runs once enabled
  const uint64_t cron_runs_before = after[cron_id].run_count;
  ASSERT_TRUE(c2->schedule_update(cron_id, protocol::ScheduleOp::kEnable));
  EXPECT_TRUE(wait_for([&] { return c2->schedule_get(cron_id).run_count > cron_runs_before; }, 5s));
}

TEST(MessengerSchedules, ARunMissedWhileDownFiresOnceOnRecovery) {
  BrokerProcess broker;
  auto c = connect(broker);
  const json created =
      create_schedule(broker, {"--every", "1s", "--type", "Missed", "--queue", "missed"});
  ASSERT_TRUE(created.is_object());
  const uint64_t id = created["id"];
  const protocol::ScheduleInfo info = c->schedule_get(id);
  ASSERT_EQ(info.spec.interval_ms, 1000);
  const int64_t anchor = info.spec.start_at_ms;
  ASSERT_GT(anchor, 0);
  // where now is between two slots, 0..999 ms
  auto phase = [&] { return ((now_ms() - anchor) % 1000 + 1000) % 1000; };
  auto slots_in = [&](int64_t from, int64_t to) {  // slots in (from, to]
    auto floor_div = [](int64_t a) { return a >= 0 ? a / 1000 : -((-a + 999) / 1000); };
    return floor_div(to - anchor) - floor_div(from - anchor);
  };
  ASSERT_TRUE(wait_for([&] { return c->schedule_get(id).run_count >= 1; }, 5s));

  // stop between two slots, so that no run falls into the shutdown
  ASSERT_TRUE(wait_for([&] { return phase() >= 150 && phase() <= 450; }, 3s, 5ms));
  const uint64_t r0 = c->schedule_get(id).run_count;
  c.reset();
  const int64_t stopped_at = now_ms();
  ASSERT_EQ(broker.terminate(), 0) << broker.log();
  const int64_t stopped = now_ms();
  // (normally 0: the stop began 150..450 ms after a slot; a very slow shutdown may take one)
  const int64_t slots_while_stopping = slots_in(stopped_at, stopped);

  // down for 3.5 s (3 slots missed), restarted just after a slot
  std::this_thread::sleep_for(std::chrono::milliseconds(stopped_at + 3500 - now_ms()));
  ASSERT_TRUE(wait_for([&] { return phase() >= 50 && phase() <= 250; }, 3s, 5ms));
  const int64_t restart_at = now_ms();
  BrokerProcess again({}, broker.data_dir());
  auto c2 = connect(again);
  ASSERT_TRUE(wait_for([&] { return c2->schedule_get(id).run_count >= r0 + 1; }, 5s))
      << "the missed run did not fire on recovery";
  const protocol::ScheduleInfo recovered = c2->schedule_get(id);
  const int64_t checked_at = now_ms();
  const int64_t regular = slots_in(restart_at, checked_at);
  EXPECT_GE(recovered.run_count, r0 + 1);
  EXPECT_LE(recovered.run_count, r0 + slots_while_stopping + 1 + regular)
      << "more than one run for the missed slots (" << regular << " regular slots since restart)";

  // one message per run: r0 from before the stop, the rest after the restart
  auto consumer = connect(again);
  consumer->subscribe({"missed"}, 1000);
  const auto got = receive_n(*consumer, recovered.run_count, 10s);
  ASSERT_EQ(got.size(), recovered.run_count);
  uint64_t old_runs = 0, new_runs = 0;
  for (const auto& d : got) {
    EXPECT_EQ(d.type, "Missed");
    if (d.created_at_ms < restart_at) ++old_runs;
    if (d.created_at_ms >= restart_at && d.created_at_ms <= checked_at) ++new_runs;
  }
  EXPECT_GE(old_runs, r0);
  EXPECT_LE(old_runs, r0 + slots_while_stopping);
  EXPECT_EQ(old_runs + new_runs, recovered.run_count) << "a run without its message, or more";
  EXPECT_GE(new_runs, 1u) << "the missed slots did not run on recovery";
  EXPECT_LE(new_runs, 1u + regular) << "more than one run for the 3 missed slots";
  if (regular == 0) {
    EXPECT_EQ(new_runs, 1u) << "exactly one run on recovery";
  }

  // then the regular runs continue on the schedule's grid
  ASSERT_TRUE(
      wait_for([&] { return c2->schedule_get(id).run_count >= recovered.run_count + 2; }, 6s));
  const protocol::ScheduleInfo later = c2->schedule_get(id);
  const int64_t last_phase = ((later.last_run_at_ms - anchor) % 1000 + 1000) % 1000;
  EXPECT_LT(last_phase, 500) << "regular runs are not on the grid any more";
  EXPECT_GT(later.next_run_at_ms, later.last_run_at_ms);
  EXPECT_EQ((later.next_run_at_ms - anchor) % 1000, 0);
}

}  // namespace
}  // namespace symphony::testing::messenger
