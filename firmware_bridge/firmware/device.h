/* The firmware main loop body: drain the IMU FIFO, timestamp each sample on
 * the device clock, packetize, frame, and hand frames to the UART (and to an
 * optional second sink such as the BLE notify path). A board calls
 * gkfw_device_poll() from its FIFO-watermark interrupt or a timer. */
#ifndef GKFW_DEVICE_H
#define GKFW_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "hal.h"
#include "icm42688.h"
#include "packetizer.h"
#include "timestamp.h"
#include "uart.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*gkfw_frame_sink)(void* user, const uint8_t* frame, size_t len);

typedef struct {
  icm42688_config_t imu;
  uint32_t device_id;
  gaitkeeper_pb_Placement placement;
  uint32_t samples_per_packet; /* e.g. 20 -> 50 packets/s at 1 kHz */
  uint32_t uart_baud;          /* e.g. 921600 */
} gkfw_device_config_t;

typedef struct {
  icm42688_t imu;
  gkfw_timestamper_t clock;
  gkfw_packetizer_t packetizer;
  gkfw_uart_t uart;
  gkfw_frame_sink extra_sink; /* may be NULL */
  void* extra_user;
  uint32_t frames;
  uint32_t encode_failures;
  uint8_t frame[GKFW_MAX_FRAME];
} gkfw_device_t;

/* Initialises the IMU and the pipeline; returns an icm42688_status. */
int gkfw_device_init(gkfw_device_t* d, const gkfw_hal_t* hal, const gkfw_device_config_t* config);
/* Drains the FIFO; returns frames sent, or a negative icm42688_status. */
int gkfw_device_poll(gkfw_device_t* d);
/* Sends what is pending as a short packet (e.g. before sleep). */
int gkfw_device_flush(gkfw_device_t* d);

#ifdef __cplusplus
}
#endif

#endif
