/* BLE GATT profile of the pod (docs/protocol.md#ble-gatt-profile):
 *  - gaitkeeper service (128-bit UUID below) with one notify characteristic
 *    carrying the same framed byte stream as the UART, cut into pieces of at
 *    most ATT_MTU - 3 bytes (the ATT notification header is 3 bytes; Core
 *    spec v5.3 Vol 3 Part F 3.4.7.1). The 0x00 delimiters survive the cut, so
 *    the receiver just concatenates notifications and decodes the stream.
 *  - the standard Running Speed and Cadence service 0x1814 with RSC
 *    Measurement 0x2A53 (notify) and RSC Feature 0x2A54 (read), encoded per
 *    the Bluetooth SIG RSC Service spec v1.0 section 3, so watches and phone
 *    apps read cadence from the pod without gaitkeeper. */
#ifndef GKFW_BLE_GATT_H
#define GKFW_BLE_GATT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 128-bit UUIDs as strings (for the gateway) and little-endian bytes (as
 * BLE stacks store them). Base 6b0a0000-4b1e-4f7a-9c2d-8e5f0a3b7c11. */
#define GKFW_BLE_SERVICE_UUID "6b0a0001-4b1e-4f7a-9c2d-8e5f0a3b7c11"
#define GKFW_BLE_STREAM_CHAR_UUID "6b0a0002-4b1e-4f7a-9c2d-8e5f0a3b7c11"
extern const uint8_t gkfw_ble_service_uuid_le[16];
extern const uint8_t gkfw_ble_stream_char_uuid_le[16];

#define GKFW_BLE_RSC_SERVICE_UUID16 0x1814u
#define GKFW_BLE_RSC_MEASUREMENT_UUID16 0x2A53u
#define GKFW_BLE_RSC_FEATURE_UUID16 0x2A54u

#define GKFW_BLE_ATT_HEADER_BYTES 3u
#define GKFW_BLE_MIN_MTU 23u /* default ATT_MTU before negotiation */

/* Walks one frame (or any byte run) in notification-sized pieces. */
typedef struct {
  const uint8_t* data;
  size_t len;
  size_t offset;
  size_t chunk_max; /* ATT_MTU - 3 */
} gkfw_ble_chunker_t;

void gkfw_ble_chunker_init(gkfw_ble_chunker_t* c, const uint8_t* data, size_t len,
                           uint16_t att_mtu);
/* Next piece: sets *chunk and returns its length, 0 when done. */
size_t gkfw_ble_chunker_next(gkfw_ble_chunker_t* c, const uint8_t** chunk);
/* Notifications one frame of len bytes needs at this MTU. */
size_t gkfw_ble_notifications_needed(size_t len, uint16_t att_mtu);

/* RSC Measurement fields in SI-ish units; encoded with the spec's
 * resolutions (speed 1/256 m/s, cadence 1/min, stride 1/100 m, distance
 * 1/10 m), saturating at each field's range. */
typedef struct {
  float speed_mps;
  float cadence_spm; /* steps per minute */
  int has_stride;
  float stride_m;
  int has_distance;
  float distance_m;
  int running; /* 1 running, 0 walking */
} gkfw_rsc_measurement_t;

/* Flags bits (RSC spec 3.2.1). */
#define GKFW_RSC_FLAG_STRIDE 0x01u
#define GKFW_RSC_FLAG_DISTANCE 0x02u
#define GKFW_RSC_FLAG_RUNNING 0x04u
#define GKFW_RSC_MEASUREMENT_MAX_BYTES 10u

/* Encodes into out (cap >= GKFW_RSC_MEASUREMENT_MAX_BYTES); returns bytes. */
size_t gkfw_rsc_encode_measurement(const gkfw_rsc_measurement_t* m, uint8_t* out, size_t cap);
/* RSC Feature value: stride length, total distance and walking/running
 * status supported. */
uint16_t gkfw_rsc_feature(void);

#ifdef __cplusplus
}
#endif

#endif
