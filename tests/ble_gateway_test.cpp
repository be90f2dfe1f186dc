// gaitkeeper-ble-gateway against a simulated BlueZ (python3-dbusmock's bluez5
// template on a private D-Bus system bus). The scenario and its checks are in
// firmware_bridge/ble_gateway/bluez_mock_test.py; it exits non-zero on any
// failed check.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace {

TEST(BleGateway, SubscribesDecodesReconnectsAndCountsLosses) {
  const std::filesystem::path work =
      std::filesystem::temp_directory_path() / ("gk_ble_" + std::to_string(::getpid()));
  // Debian's interpreter, where python3-dbusmock is installed (a python3
  // earlier on PATH may not have it); -E so that no PYTHON* variable of the
  // caller's (PYTHONOPTIMIZE would strip the script's asserts) changes it.
  const std::string cmd = std::string("/usr/bin/python3 -E ") + GK_SOURCE_DIR +
                          "/firmware_bridge/ble_gateway/bluez_mock_test.py " + GK_BLE_GATEWAY_EXE +
                          " " + GK_EMULATOR_EXE + " " + GK_EXE + " " + work.string();
  const int rc = std::system(cmd.c_str());
  std::filesystem::remove_all(work);
  EXPECT_EQ(rc, 0) << cmd;
}

TEST(BleGateway, LiveStartsTheGatewayAndAnalysesTheRun) {
  // `gaitkeeper live --ble ADDRESS` against the same simulated BlueZ: live
  // starts the gateway, journals every packet and finds the steps.
  const std::filesystem::path work =
      std::filesystem::temp_directory_path() / ("gk_ble_live_" + std::to_string(::getpid()));
  const std::string cmd = std::string("/usr/bin/python3 -E ") + GK_SOURCE_DIR +
                          "/firmware_bridge/ble_gateway/bluez_mock_test.py " + GK_BLE_GATEWAY_EXE +
                          " " + GK_EMULATOR_EXE + " " + GK_EXE + " " + work.string() + " live";
  const int rc = std::system(cmd.c_str());
  std::filesystem::remove_all(work);
  EXPECT_EQ(rc, 0) << cmd;
}

}  // namespace
