// `gaitkeeper coach`: the session store's reports in the browser, served by
// the live dashboard's server (src/live/live_server.hpp): the athletes and
// their sessions, a session's report, an athlete's trend (with shoes, pain
// and the return-to-run plan), and two sessions compared side by side.
#include <fmt/format.h>
#include <signal.h>

#include <cctype>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "athlete_report.hpp"
#include "coach_pages.hpp"
#include "commands.hpp"
#include "finite_range.hpp"
#include "form_assessor.hpp"
#include "input_error.hpp"
#include "live_server.hpp"
#include "pain_check.hpp"
#include "session_job.hpp"
#include "session_report.hpp"
#include "session_store.hpp"
#include "svg_chart.hpp"
#include "utc_time.hpp"

namespace gk::cli {
namespace {

struct CoachOptions {
  std::filesystem::path db;
  std::string bind = "127.0.0.1";
  uint16_t port = 8751;
  std::string token;
  int weeks = 12;
};

/// The value of key in a query string, percent-decoded ('+' is a space).
std::optional<std::string> query_value(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view kv = query.substr(0, amp);
    const size_t eq = kv.find('=');
    if (kv.substr(0, eq) == key && eq != std::string_view::npos) {
      std::string out;
      const std::string_view v = kv.substr(eq + 1);
      for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '+') {
          out += ' ';
        } else if (v[i] == '%' && i + 2 < v.size() + 0 && std::isxdigit(v[i + 1]) &&
                   std::isxdigit(v[i + 2])) {
          out += static_cast<char>(std::stoi(std::string(v.substr(i + 1, 2)), nullptr, 16));
          i += 2;
        } else {
          out += v[i];
        }
      }
      return out;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

live::HttpReply not_found(const std::string& what) {
  return {404, "text/plain; charset=utf-8", what + "\n"};
}

/// A stored session with the training-load flags its history gives.
std::optional<SessionReportData> load_with_load(SessionStore& store, const std::string& key) {
  std::optional<SessionReportData> d = store.load(key);
  if (!d) return d;
  for (const pb::FormFlag& f :
       store
           .check_training_load(d->header.athlete(), d->header.start_time_utc_us(),
                                d->assessment.running_s)
           .flags) {
    d->assessment.flags.push_back(f);
  }
  return d;
}

/// Carries the access token on the pages' own links and the compare form, so
/// a coach who opened the printed URL can click through.
std::string with_token(std::string html, const std::string& token) {
  if (token.empty()) return html;
  for (const std::string attr : {"href=\"/coach", "action=\"/coach"}) {
    for (size_t at = html.find(attr); at != std::string::npos; at = html.find(attr, at + 1)) {
      const size_t end = html.find('"', at + attr.size());
      if (end == std::string::npos) break;
      const bool has_query = html.substr(at, end - at).find('?') != std::string::npos;
      html.insert(end, (has_query ? "&token=" : "?token=") + token);
    }
  }
  const std::string form = "id=\"compare-form\">";
  if (const size_t at = html.find(form); at != std::string::npos) {
    html.insert(at + form.size(), "<input type=\"hidden\" name=\"token\" value=\"" + token + "\">");
  }
  return html;
}

/// The pain-log field under a session's report: the entry so far, and a
/// form that records (or updates) it.
std::string pain_form(SessionStore& store, int64_t id, const SessionReportData& d) {
  std::optional<PainEntry> logged;
  for (const PainLogRow& r : store.pain_history(d.header.athlete())) {
    if (r.content_hash == d.content_hash) logged = r.entry;
  }
  auto field = [&](const char* name, const char* label, const std::optional<int>& v) {
    return fmt::format(
        "<label>{} <input type=\"number\" name=\"{}\" min=\"0\" max=\"10\" step=\"1\" "
        "value=\"{}\"></label> ",
        label, name, v ? std::to_string(*v) : "");
  };
  return fmt::format(
      "<h2>Pain log</h2>\n<form id=\"pain-form\" method=\"post\" action=\"/coach/log\">\n"
      "<input type=\"hidden\" name=\"session\" value=\"{}\">\n{}{}{}"
      "<button type=\"submit\" id=\"log-pain\">Log pain (0-10)</button>\n</form>\n",
      id, field("pain", "during the run", logged ? logged->during : std::nullopt),
      field("after", "after the run", logged ? logged->after : std::nullopt),
      field("stiffness", "stiffness next morning", logged ? logged->stiffness : std::nullopt));
}

/// A 0-10 rating from a form value; nullopt when empty; throws for others.
std::optional<int> rating(std::string_view body, std::string_view key) {
  const std::optional<std::string> v = query_value(body, key);
  if (!v || v->empty()) return std::nullopt;
  size_t used = 0;
  const int r = std::stoi(*v, &used);
  if (used != v->size() || r < 0 || r > 10) throw std::invalid_argument("ratings are 0 to 10");
  return r;
}

std::optional<live::HttpReply> serve(SessionStore& store, const CoachOptions& opt,
                                     const live::PageRequest& req) {
  const std::string_view path = req.path;
  const std::string_view query = req.query;
  try {
    if (req.post) {
      if (path != "/coach/log")
        return live::HttpReply{405, "text/plain; charset=utf-8", "GET only\n"};
      const std::optional<std::string> key = query_value(req.body, "session");
      const std::optional<int64_t> id = key ? store.find(*key) : std::nullopt;
      if (!id) return not_found("no stored session");
      PainEntry e;
      try {
        e.during = rating(req.body, "pain");
        e.after = rating(req.body, "after");
        e.stiffness = rating(req.body, "stiffness");
      } catch (const std::exception&) {
        return live::HttpReply{400, "text/plain; charset=utf-8",
                               "pain and stiffness are whole numbers from 0 to 10\n"};
      }
      if (!e.during && !e.after && !e.stiffness) {
        return live::HttpReply{400, "text/plain; charset=utf-8", "give at least one rating\n"};
      }
      store.log_pain(*id, e);
      const std::string athlete = store.athlete_of(*id);
      std::vector<PainEntry> history;
      for (const PainLogRow& r : store.pain_history(athlete)) history.push_back(r.entry);
      std::string body = fmt::format(
          "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Pain "
          "logged</title></head><body>\n<h1 id=\"logged\">Pain logged for session #{}</h1>\n",
          *id);
      for (const pb::FormFlag& f : check_pain(history)) {
        body += fmt::format("<p class=\"pain-flag\"><b>{}:</b> {}</p>\n",
                            pb::Severity_Name(f.severity()), svg::escape(f.advice()));
      }
      body += fmt::format(
          "<p><a href=\"/coach/session/{}\">Back to the session</a> · <a "
          "href=\"/coach/athlete?name={}\">{}'s trend</a></p>\n<p>{}</p>\n</body></html>\n",
          *id, url_component(athlete), svg::escape(athlete), svg::escape(kNotADiagnosis));
      return live::HttpReply{200, "text/html; charset=utf-8", body};
    }
    if (path == "/" || path == "/coach" || path == "/coach/") {
      std::vector<CoachSessionLink> links;
      for (const StoredSessionInfo& s : store.list()) {
        links.push_back(CoachSessionLink{s.id, s.athlete, s.session_name, s.start_time_utc_us,
                                         s.duration_s, s.steps, s.cadence_spm, s.target_cadence_spm,
                                         s.flags});
      }
      return live::HttpReply{200, "text/html; charset=utf-8",
                             render_coach_index(links, store.db().path().string())};
    }
    constexpr std::string_view kSession = "/coach/session/";
    if (path.starts_with(kSession)) {
      const std::string key(path.substr(kSession.size()));
      const std::optional<int64_t> id = store.find(key);
      if (!id) return not_found("no stored session " + key);
      const std::optional<SessionReportData> d = load_with_load(store, std::to_string(*id));
      std::string html = render_session_html(*d);
      html.insert(html.rfind("</body>"), pain_form(store, *id, *d));
      return live::HttpReply{200, "text/html; charset=utf-8", std::move(html)};
    }
    if (path == "/coach/athlete") {
      const std::optional<std::string> name = query_value(query, "name");
      if (!name) return not_found("give ?name=ATHLETE");
      AthleteReportData data;
      data.athlete = *name;
      data.weeks = opt.weeks;
      data.now_utc_us = now_utc_us();
      data.sessions = store.athlete_rows(*name);
      if (data.sessions.empty()) return not_found("no stored session of " + *name);
      data.coaching = store.coaching(*name, data.now_utc_us);
      return live::HttpReply{200, "text/html; charset=utf-8", render_athlete_html(data)};
    }
    if (path == "/coach/compare") {
      const std::optional<std::string> a = query_value(query, "a");
      const std::optional<std::string> b = query_value(query, "b");
      if (!a || !b) return not_found("choose two sessions (A and B) on /coach");
      const std::optional<int64_t> ia = store.find(*a);
      const std::optional<int64_t> ib = store.find(*b);
      if (!ia || !ib) return not_found("no stored session " + (!ia ? *a : *b));
      return live::HttpReply{
          200, "text/html; charset=utf-8",
          render_coach_compare(*load_with_load(store, std::to_string(*ia)), *ia,
                               *load_with_load(store, std::to_string(*ib)), *ib)};
    }
  } catch (const std::exception& e) {
    return live::HttpReply{500, "text/plain; charset=utf-8", std::string(e.what()) + "\n"};
  }
  return std::nullopt;
}

void run_coach(const CoachOptions& opt) {
  if (!live::is_loopback(opt.bind) && opt.token.empty()) {
    throw InputError("--bind", 0,
                     fmt::format("the coach view on {} would be reachable from the network: give "
                                 "--token SECRET (required for any non-loopback address)",
                                 opt.bind));
  }
  const std::filesystem::path path = existing_store(opt.db);
  SessionStore store(path);  // used on the server thread only, after start()
  // Block the stop signals before the server thread starts so only this
  // thread receives them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  live::LiveServerSettings settings;
  settings.bind_address = opt.bind;
  settings.port = opt.port;
  settings.token = opt.token;
  settings.pages = [&store, &opt](const live::PageRequest& req) {
    std::optional<live::HttpReply> r = serve(store, opt, req);
    if (r) r->body = with_token(std::move(r->body), opt.token);
    return r;
  };
  live::LiveServer server(settings);
  server.start();
  const std::string base = server.url().substr(0, server.url().find('?'));
  fmt::print("coach: {}coach{}\n", base,
             opt.token.empty() ? "" : fmt::format("?token={}", opt.token));
  fmt::print("serving {} sessions from {}; Ctrl-C stops\n", store.list().size(), path.string());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  server.stop();
  fmt::print("stopped\n");
}

}  // namespace

void add_coach_command(CLI::App& app) {
  auto opt = std::make_shared<CoachOptions>();
  CLI::App* cmd = app.add_subcommand(
      "coach",
      "Serve the stored sessions' reports in the browser: athletes and sessions, a session's\n"
      "report, an athlete's trend (shoes, pain log, return-to-run plan), two sessions\n"
      "compared. Loopback only unless --bind with --token. Ctrl-C stops.");
  cmd->add_option("--db", opt->db,
                  "Session store (default $XDG_DATA_HOME/gaitkeeper/gaitkeeper.db)");
  cmd->add_option("--bind", opt->bind, "Address (other than loopback needs --token)")
      ->capture_default_str();
  cmd->add_option("--port", opt->port, "Port (0 = any free port)")->capture_default_str();
  cmd->add_option("--token", opt->token, "Access token (?token= in the URL)");
  cmd->add_option("--weeks", opt->weeks, "Weeks an athlete's trend covers")
      ->check(finite_range(1, 520))
      ->capture_default_str();
  cmd->callback([opt] { run_coach(*opt); });
}

}  // namespace gk::cli
