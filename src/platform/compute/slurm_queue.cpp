#include "compute/slurm_queue.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <vector>

#include "compute/slurm_command.hpp"

namespace glia::platform::compute {

namespace {

int64_t to_int(const std::string& s) {
  try {
    return std::stoll(s);
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

SlurmQueue& SlurmQueue::instance() {
  static SlurmQueue queue;
  return queue;
}

void SlurmQueue::watch(const std::string& job_id) {
  watched_.insert(job_id);
  next_poll_ = 0;  // at once
  interval_ = kMinInterval;
}

void SlurmQueue::forget(const std::string& job_id) {
  watched_.erase(job_id);
  known_.erase(job_id);
}

std::optional<SlurmJobInfo> SlurmQueue::info(const std::string& job_id) const {
  auto it = known_.find(job_id);
  if (it == known_.end()) return std::nullopt;
  return it->second;
}

void SlurmQueue::poll(double now) {
  if (watched_.empty() || now < next_poll_) return;
  std::string ids;
  for (const auto& id : watched_) ids += (ids.empty() ? "" : ",") + id;
  ++squeue_calls_;
  const CommandResult r = run_command({"squeue", "--noheader", "--states=all", "--jobs=" + ids,
                                       "-O", "JobID:|,State:|,Reason:|,RestartCnt:|"});
  std::map<std::string, SlurmJobInfo> seen;
  if (r.exit_code == 0) {
    parse_squeue(r.out, seen);
  } else if (r.err.find("Invalid job id") == std::string::npos) {
    // Slurm not answering (slurmctld down or busy): the states stand; try again later.
    std::fprintf(stderr, "glia agent: squeue: %s\n", first_line(r.err).c_str());
    interval_ = std::min(interval_ * 2, kMaxInterval);
    next_poll_ = now + interval_;
    return;
  }
  // Jobs squeue no longer lists: scontrol (ended jobs for MinJobAge), then sacct.
  for (const auto& id : watched_) {
    if (seen.count(id)) continue;
    const CommandResult s = run_command({"scontrol", "show", "job", "-o", id});
    if (auto info = s.exit_code == 0 ? parse_scontrol_job(s.out) : std::nullopt) {
      seen[id] = *info;
      continue;
    }
    const CommandResult a =
        run_command({"sacct", "--noheader", "--parsable2", "-X", "-j", id, "-o", "State,Reason"});
    const std::string line = first_line(a.out);
    if (a.exit_code == 0 && !line.empty() && line.find('|') != std::string::npos) {
      seen[id] = SlurmJobInfo{line.substr(0, line.find('|')), line.substr(line.find('|') + 1)};
      continue;
    }
    seen[id] = SlurmJobInfo{"UNKNOWN", "Slurm no longer knows job " + id};
  }
  bool changed = false;
  for (auto& [id, info] : seen) {
    if (!watched_.count(id)) continue;
    auto it = known_.find(id);
    if (it == known_.end() || it->second.state != info.state ||
        it->second.restarts != info.restarts)
      changed = true;
    known_[id] = info;
  }
  // A job waiting to start is looked at every second at most: its start is what a user waits
  // for (docs/slurm.md); running jobs back off to kMaxInterval.
  bool waiting = false;
  for (const auto& id : watched_) {
    auto it = known_.find(id);
    waiting |=
        it == known_.end() || it->second.state == "PENDING" || it->second.state == "CONFIGURING";
  }
  interval_ = changed ? kMinInterval
                      : std::min(interval_ * 2, waiting ? kWaitingMaxInterval : kMaxInterval);
  next_poll_ = now + interval_;
}

void parse_squeue(const std::string& text, std::map<std::string, SlurmJobInfo>& out) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::string cell;
    std::istringstream cells(line);
    while (std::getline(cells, cell, '|')) {
      while (!cell.empty() && cell.back() == ' ') cell.pop_back();
      while (!cell.empty() && cell.front() == ' ') cell.erase(0, 1);
      f.push_back(cell);
    }
    if (f.size() < 2 || f[0].empty()) continue;
    SlurmJobInfo info{f[1], f.size() > 2 ? f[2] : "None", f.size() > 3 ? to_int(f[3]) : 0};
    out[f[0]] = info;
  }
}

std::optional<SlurmJobInfo> parse_scontrol_job(const std::string& text) {
  SlurmJobInfo info;
  bool has_state = false;
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    const auto eq = word.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    if (key == "JobState") {
      info.state = value;
      has_state = true;
    } else if (key == "Reason") {
      info.reason = value;
    } else if (key == "Restarts") {
      info.restarts = to_int(value);
    }
  }
  if (!has_state) return std::nullopt;
  return info;
}

}  // namespace glia::platform::compute
