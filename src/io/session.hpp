// A whole session in memory (header + per-sensor streams) and its optional
// ground truth; loading from and saving to .gkr recordings and CSV session
// folders (docs/formats.md).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "gaitkeeper.pb.h"
#include "sample.hpp"

namespace gk {

struct Session {
  pb::SessionHeader header;
  /// One per device, samples in the order the device made them: time order, except where a
  /// clock stepped back or repeated a time (a sensor CSV, or a recording made from one).
  std::vector<SensorStream> sensors;
};

/// One ground contact from a reference system (truth/events.csv).
struct TruthEvent {
  pb::Side side = pb::SIDE_UNKNOWN;  ///< unknown = reference does not know
  double ic_s = 0.0;
  std::optional<double> to_s;
};

/// One knee-angle reference sample (truth/knee.csv).
struct TruthKnee {
  double t_s = 0.0;
  pb::Side side = pb::SIDE_UNKNOWN;
  double valgus_deg = 0.0;  ///< + = knee toward the midline, either side
  double flexion_deg = 0.0;
};

/// A ground contact the reference is known to have left out, declared by
/// the data set (session.json "truth_unlabelled_contacts_s"): the span in
/// which that foot stands still. Evaluation neither credits nor faults a
/// detection there (see event_evaluation.hpp).
struct UnlabelledContact {
  pb::Side side = pb::SIDE_UNKNOWN;  ///< unknown = either foot
  double still_from_s = 0.0;
  double still_to_s = 0.0;
};

struct Truth {
  std::optional<std::vector<TruthEvent>> events;
  std::optional<std::vector<TruthKnee>> knee;
};

/// Non-fatal findings while loading (truncated tail, clipped values...).
using Warnings = std::vector<std::string>;

/// Reads a CSV session folder (session.json + one CSV per sensor). Throws
/// InputError naming file and line.
Session read_csv_session(const std::filesystem::path& dir, Warnings& warnings);
/// Writes a CSV session folder in SI units (t[s], m/s^2, rad/s), every file
/// atomically; creates the folder. Throws InputError (e.g. a sensor without a
/// placement, which a CSV session cannot express).
void write_csv_session(const std::filesystem::path& dir, const Session& session);
/// The CSV file name write_csv_session uses for each sensor (same order):
/// info.source_file when set and unique, else <placement>.csv.
std::vector<std::string> csv_file_names(const Session& session);

/// Whether a recording (or a device replaying it) can hold a sample: a packet carries int16
/// counts, which a NaN or infinite reading has none of (a sensor CSV may hold one; the analysis
/// skips and marks it). A time that steps back or repeats is kept: per-sample time offsets are
/// signed and packets keep their device's order by sequence number, so the engine meets it as
/// it would in the CSV, and counts what it hid (GaitEngine::skip_behind).
inline bool recordable(const ImuSample& s) { return readings_finite(s); }

/// Reads a .gkr recording whole, unpacking packets into per-device streams, each in its device's
/// order: by sequence number (a packet that arrived after a later one goes back into its place),
/// not by time, so a device clock that stepped back reads as it was sent.
Session read_recording(const std::filesystem::path& path, Warnings& warnings);
/// Writes a session as a .gkr (packets of `samples_per_packet`), atomically; leaves out what a
/// recording cannot hold (recordable()).
void write_recording(const std::filesystem::path& path, const Session& session,
                     uint32_t samples_per_packet = 20);

/// A folder is a CSV session, anything else a .gkr recording.
Session load_session(const std::filesystem::path& path, Warnings& warnings);

/// truth/ under a CSV session folder, or <stem>.truth/ beside a .gkr file.
std::filesystem::path truth_dir_for(const std::filesystem::path& session_path);
/// Reads whatever of truth/events.csv and truth/knee.csv exists.
Truth read_truth(const std::filesystem::path& truth_dir);
void write_truth(const std::filesystem::path& truth_dir, const Truth& truth);
/// The contacts a CSV session's session.json declares unlabelled by its
/// reference ("truth_unlabelled_contacts_s"); empty for a .gkr or when the
/// key is absent. Throws InputError naming session.json and the line.
std::vector<UnlabelledContact> read_unlabelled_contacts(const std::filesystem::path& session_path);

}  // namespace gk
