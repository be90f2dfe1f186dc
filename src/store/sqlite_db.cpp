#include "sqlite_db.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <cassert>
#include <chrono>
#include <system_error>
#include <thread>

#include "input_error.hpp"

namespace gk {
namespace {

/// What the user can do about the common failures.
std::string advice_for(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return "another program holds the database locked; wait for it to finish or close it, "
             "then try again";
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return "the file is not a gaitkeeper database or is damaged; restore it from a backup or "
             "point --db at another file (a new one is created)";
    case SQLITE_CANTOPEN:
      return "check that the folder exists and is writable, or pass --db PATH";
    case SQLITE_READONLY:
      return "the database is read-only here; check its permissions";
    case SQLITE_FULL:
      return "the disk is full; free some space";
    default:
      return "check the file, or pass --db PATH to use another database";
  }
}

}  // namespace

SqliteDb::SqliteDb(const std::filesystem::path& path, const SqliteSettings& settings)
    : path_(path) {
  int flags = SQLITE_OPEN_NOMUTEX;
  if (settings.read_only) {
    flags |= SQLITE_OPEN_READONLY;
  } else {
    flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (path.has_parent_path()) {
      std::error_code ec;
      std::filesystem::create_directories(path.parent_path(), ec);
      if (ec) {
        throw InputError(path, 0,
                         fmt::format("cannot create the database folder: {}", ec.message()));
      }
    }
  }
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw InputError(path, 0, fmt::format("cannot open the database: {}; {}", msg, advice_for(rc)));
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, settings.busy_timeout_ms);
  // The destructor does not run when the constructor throws: close here.
  try {
    // The first statements read the file header: a file that is not SQLite
    // fails here with SQLITE_NOTADB.
    exec("PRAGMA foreign_keys = ON");
    if (!settings.read_only) {
      // WAL lets readers (a coach view) run while a live session writes, and
      // keeps a killed writer's last committed transaction.
      // Switching a new file to WAL needs a lock the busy handler does not
      // wait for: two processes creating one store at once would see
      // SQLITE_BUSY here. Retry for as long as the busy timeout allows.
      const auto deadline =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(settings.busy_timeout_ms);
      for (;;) {
        const int wal_rc =
            sqlite3_exec(db_, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
        if (wal_rc == SQLITE_OK) break;
        if (((wal_rc & 0xff) != SQLITE_BUSY && (wal_rc & 0xff) != SQLITE_LOCKED) ||
            std::chrono::steady_clock::now() >= deadline) {
          fail(wal_rc, "switching to WAL journal mode");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      exec("PRAGMA synchronous = NORMAL");
    }
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

SqliteDb::~SqliteDb() { sqlite3_close(db_); }

void SqliteDb::exec(std::string_view sql) {
  const std::string s(sql);
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    const std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw InputError(path_, 0, fmt::format("database error: {}; {}", msg, advice_for(rc)));
  }
}

int64_t SqliteDb::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

void SqliteDb::fail(int rc, std::string_view what) const {
  throw InputError(
      path_, 0,
      fmt::format("database error while {}: {}; {}", what, sqlite3_errmsg(db_), advice_for(rc)));
}

SqliteStatement::SqliteStatement(SqliteDb& db, std::string_view sql) : db_(db) {
  const int rc =
      sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
  if (rc != SQLITE_OK) db_.fail(rc, fmt::format("preparing `{}`", sql.substr(0, 60)));
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

SqliteStatement& SqliteStatement::bind(int i, int64_t v) {
  const int rc = sqlite3_bind_int64(stmt_, i, v);
  if (rc != SQLITE_OK) db_.fail(rc, "binding a value");
  return *this;
}

SqliteStatement& SqliteStatement::bind(int i, double v) {
  const int rc = sqlite3_bind_double(stmt_, i, v);
  if (rc != SQLITE_OK) db_.fail(rc, "binding a value");
  return *this;
}

SqliteStatement& SqliteStatement::bind(int i, std::string_view v) {
  const int rc =
      sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) db_.fail(rc, "binding a value");
  return *this;
}

SqliteStatement& SqliteStatement::bind(int i, const std::optional<double>& v) {
  return v ? bind(i, *v) : bind_null(i);
}

SqliteStatement& SqliteStatement::bind(int i, const std::optional<int64_t>& v) {
  return v ? bind(i, *v) : bind_null(i);
}

SqliteStatement& SqliteStatement::bind_blob(int i, const std::string& bytes) {
  const int rc =
      sqlite3_bind_blob(stmt_, i, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) db_.fail(rc, "binding a value");
  return *this;
}

SqliteStatement& SqliteStatement::bind_null(int i) {
  const int rc = sqlite3_bind_null(stmt_, i);
  if (rc != SQLITE_OK) db_.fail(rc, "binding a value");
  return *this;
}

bool SqliteStatement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_.fail(rc, fmt::format("running `{}`", std::string_view(sqlite3_sql(stmt_)).substr(0, 60)));
}

void SqliteStatement::run() {
  while (step()) {
  }
  reset();
}

void SqliteStatement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool SqliteStatement::is_null(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}
int64_t SqliteStatement::int64(int col) const { return sqlite3_column_int64(stmt_, col); }
double SqliteStatement::real(int col) const { return sqlite3_column_double(stmt_, col); }
std::optional<double> SqliteStatement::opt_real(int col) const {
  return is_null(col) ? std::nullopt : std::optional<double>(real(col));
}
std::optional<int64_t> SqliteStatement::opt_int64(int col) const {
  return is_null(col) ? std::nullopt : std::optional<int64_t>(int64(col));
}
std::string SqliteStatement::text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
           : std::string();
}
std::string SqliteStatement::blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  return p ? std::string(static_cast<const char*>(p),
                         static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
           : std::string();
}

SqliteTransaction::SqliteTransaction(SqliteDb& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

SqliteTransaction::~SqliteTransaction() {
  if (!done_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void SqliteTransaction::commit() {
  assert(!done_);
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace gk
