// Decodes a FIT file with Garmin's FIT SDK for JavaScript (@garmin/fitsdk,
// web/node_modules) and prints what report_test checks as JSON on stdout.
// Usage: NODE_PATH=web/node_modules node decode_fit.js FILE.fit
'use strict';
const fs = require('fs');
const { Decoder, Stream } = require('@garmin/fitsdk');

const bytes = fs.readFileSync(process.argv[2]);
const stream = Stream.fromByteArray(Array.from(bytes));
const decoder = new Decoder(stream);
const isFIT = decoder.isFIT();
const integrity = decoder.checkIntegrity();
const { messages, errors } = decoder.read({
  applyScaleAndOffset: true,
  expandSubFields: true,
  expandComponents: true,
  convertTypesToStrings: true,
  convertDateTimesToDates: false,
  includeUnknownData: true,
  mergeHeartRates: false,
});
const pick = (m, keys) => Object.fromEntries(keys.filter((k) => k in m).map((k) => [k, m[k]]));
const summaryKeys = ['timestamp', 'startTime', 'totalElapsedTime', 'totalTimerTime', 'totalDistance',
  'avgSpeed', 'avgCadence', 'avgRunningCadence', 'avgFractionalCadence', 'avgStanceTime',
  'avgStanceTimeBalance', 'avgStepLength', 'sport', 'subSport', 'numLaps'];
const out = {
  isFIT,
  integrity,
  errors: errors.map((e) => String(e && e.message ? e.message : e)),
  fileId: (messages.fileIdMesgs || []).map((m) => pick(m, ['type', 'manufacturer', 'timeCreated'])),
  deviceInfo: (messages.deviceInfoMesgs || []).length,
  events: (messages.eventMesgs || []).map((m) => pick(m, ['timestamp', 'event', 'eventType'])),
  records: (messages.recordMesgs || []).map((m) => pick(m, ['timestamp', 'cadence',
    'fractionalCadence', 'stanceTime', 'stanceTimeBalance', 'stepLength', 'speed',
    'enhancedSpeed', 'distance'])),
  laps: (messages.lapMesgs || []).map((m) => pick(m, summaryKeys)),
  sessions: (messages.sessionMesgs || []).map((m) => pick(m, summaryKeys)),
  activities: (messages.activityMesgs || []).map((m) => pick(m, ['timestamp', 'totalTimerTime',
    'numSessions', 'type', 'event', 'eventType'])),
};
process.stdout.write(JSON.stringify(out, null, 1) + '\n');
