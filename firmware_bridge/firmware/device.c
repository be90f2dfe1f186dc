#include "device.h"

int gkfw_device_init(gkfw_device_t* d, const gkfw_hal_t* hal, const gkfw_device_config_t* config) {
  d->extra_sink = 0;
  d->extra_user = 0;
  d->frames = 0;
  d->encode_failures = 0;
  const int rc = icm42688_init(&d->imu, hal, &config->imu);
  if (rc != ICM42688_OK) return rc;
  gkfw_timestamper_reset(&d->clock, hal->now_us(hal->ctx));
  gkfw_packetizer_config_t pc;
  pc.device_id = config->device_id;
  pc.placement = config->placement;
  pc.accel_range_g = config->imu.accel_range_g;
  pc.gyro_range_dps = config->imu.gyro_range_dps;
  pc.sample_period_us = 1000000u / config->imu.odr_hz;
  pc.samples_per_packet = config->samples_per_packet;
  if (gkfw_packetizer_init(&d->packetizer, &pc) != 0) return ICM42688_ERR_CONFIG;
  gkfw_uart_init(&d->uart, hal, config->uart_baud);
  return ICM42688_OK;
}

static void send(gkfw_device_t* d) {
  const size_t n = gkfw_packetizer_emit_frame(&d->packetizer, d->frame, sizeof d->frame);
  if (n == 0) {
    ++d->encode_failures;
    return;
  }
  ++d->frames;
  gkfw_uart_send_frame(&d->uart, d->frame, n);
  if (d->extra_sink) d->extra_sink(d->extra_user, d->frame, n);
}

int gkfw_device_poll(gkfw_device_t* d) {
  const uint32_t before = d->frames;
  for (;;) {
    icm42688_sample_t batch[8];
    const int n = icm42688_read_fifo(&d->imu, batch, sizeof batch / sizeof batch[0]);
    if (n < 0) return n;
    if (n == 0) break;
    for (int i = 0; i < n; ++i) {
      const uint32_t t = gkfw_timestamper_push(&d->clock, batch[i].timestamp_us);
      /* FIFO temperature: degC = raw / 2.07 + 25 (datasheet 5.6). */
      gkfw_packetizer_set_temperature(&d->packetizer, (float)batch[i].temp_raw / 2.07f + 25.0f);
      if (gkfw_packetizer_push(&d->packetizer, t, batch[i].accel, batch[i].gyro)) send(d);
    }
  }
  return (int)(d->frames - before);
}

int gkfw_device_flush(gkfw_device_t* d) {
  if (d->packetizer.count == 0) return 0;
  send(d);
  return 1;
}
