// The store's schema as an ordered list of migrations. PRAGMA user_version
// holds how many have run; opening a database runs the missing ones, each in
// its own transaction, so an old database is upgraded in place and a newer
// one than this program knows is refused rather than misread.
#pragma once

#include <string_view>
#include <vector>

namespace gk {

class SqliteDb;

/// Migration i (0-based) brings the schema from version i to i + 1.
const std::vector<std::string_view>& schema_migrations();

/// Runs the missing migrations; returns the schema version now in the file.
/// Throws InputError when the file is newer than this program.
int migrate_schema(SqliteDb& db);

}  // namespace gk
