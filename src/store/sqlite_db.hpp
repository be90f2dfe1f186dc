// A thin RAII layer over SQLite's C API (the only SQLite interface among our
// Debian packages): a connection with the settings every gaitkeeper store
// uses, prepared statements with typed binds and columns, and a transaction
// guard. Every failure becomes an InputError naming the database file and
// what to do, because a store is a boundary like any other file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace gk {

struct SqliteSettings {
  /// How long a writer waits for another connection's transaction (a live
  /// session and a batch run writing together) before giving up.
  int busy_timeout_ms = 30'000;
  bool read_only = false;
};

class SqliteDb;

/// One prepared statement. Bind indices are 1-based as in SQLite.
class SqliteStatement {
 public:
  SqliteStatement(SqliteDb& db, std::string_view sql);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  SqliteStatement& bind(int i, int64_t v);
  SqliteStatement& bind(int i, double v);
  SqliteStatement& bind(int i, std::string_view v);
  SqliteStatement& bind(int i, const std::optional<double>& v);
  SqliteStatement& bind(int i, const std::optional<int64_t>& v);
  SqliteStatement& bind_blob(int i, const std::string& bytes);
  SqliteStatement& bind_null(int i);

  /// Steps once: true when a row is ready, false when done.
  bool step();
  /// Steps to completion (for statements that return no rows).
  void run();
  /// Clears bindings and rewinds for reuse.
  void reset();

  bool is_null(int col) const;
  int64_t int64(int col) const;
  double real(int col) const;
  std::optional<double> opt_real(int col) const;
  std::optional<int64_t> opt_int64(int col) const;
  std::string text(int col) const;
  std::string blob(int col) const;

 private:
  SqliteDb& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteDb {
 public:
  /// Opens (creating the file and its folder unless read_only) with WAL
  /// journaling, foreign keys on and a busy timeout. Throws InputError.
  explicit SqliteDb(const std::filesystem::path& path, const SqliteSettings& settings = {});
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  /// Runs SQL without parameters (schema, pragmas).
  void exec(std::string_view sql);
  int64_t last_insert_rowid() const;
  const std::filesystem::path& path() const { return path_; }
  sqlite3* handle() { return db_; }

  /// Throws InputError for the SQLite result code rc with context.
  [[noreturn]] void fail(int rc, std::string_view what) const;

 private:
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

/// BEGIN IMMEDIATE on construction (takes the write lock up front so two
/// writers queue instead of deadlocking), ROLLBACK unless commit() ran.
class SqliteTransaction {
 public:
  explicit SqliteTransaction(SqliteDb& db);
  ~SqliteTransaction();
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  void commit();

 private:
  SqliteDb& db_;
  bool done_ = false;
};

}  // namespace gk
