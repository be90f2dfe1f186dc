#!/usr/bin/python3
"""End-to-end test of gaitkeeper-ble-gateway against a simulated BlueZ.

Starts a private D-Bus system bus with python3-dbusmock's bluez5 template,
adds an adapter and the pod, adds the gaitkeeper GATT service and stream
characteristic (docs/protocol.md), waits for the gateway to subscribe, then
plays a framed stream from gaitkeeper-emulator as notifications of
ATT_MTU - 3 bytes: first all of them, then (after a simulated disconnect and
the gateway's reconnect) with every 10th notification lost. Checks the
gateway's counters against what was sent. Run by tests/ble_gateway_test.cpp:

  bluez_mock_test.py GATEWAY EMULATOR GAITKEEPER WORKDIR

The gateway also forwards the bytes over UDP to `gaitkeeper record`, which
must decode exactly the packets the gateway decoded.

  bluez_mock_test.py GATEWAY EMULATOR GAITKEEPER WORKDIR live

instead runs `gaitkeeper live --ble ADDRESS`, which starts the gateway
itself, and plays a 20 s simulated run: live must journal every packet and
find the steps.
"""
import json
import os
import subprocess
import sys
import time

import dbus
import dbusmock

STREAM_UUID = "6b0a0002-4b1e-4f7a-9c2d-8e5f0a3b7c11"
SERVICE_UUID = "6b0a0001-4b1e-4f7a-9c2d-8e5f0a3b7c11"
ADDRESS = "C0:FF:EE:00:00:01"
MTU = 185
CHAR_IFACE = "org.bluez.GattCharacteristic1"
MOCK_IFACE = "org.freedesktop.DBus.Mock"


def wait_for(pred, what, timeout=20.0):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


def frames_of(path):
    """Splits the emulator's byte stream into frames (leading 0x00, body, 0x00)."""
    data = open(path, "rb").read()
    return [b"\x00" + body + b"\x00" for body in data.split(b"\x00") if body]


def start_mock_pod():
    """A private system bus with BlueZ, an adapter and the pod's GATT stream."""
    dbusmock.DBusTestCase.start_system_bus()
    server = dbusmock.DBusTestCase.spawn_server_template("bluez5", {}, stdout=subprocess.DEVNULL)[0]
    bus = dbusmock.DBusTestCase.get_dbus(system_bus=True)
    root = bus.get_object("org.bluez", "/")
    bluez_mock = dbus.Interface(root, "org.bluez.Mock")
    bluez_mock.AddAdapter("hci0", "host")
    device_path = bluez_mock.AddDevice("hci0", ADDRESS, "gaitkeeper pod")
    mock = dbus.Interface(root, MOCK_IFACE)
    service_path = device_path + "/service0010"
    char_path = service_path + "/char0011"
    mock.AddObject(service_path, "org.bluez.GattService1",
                   {"UUID": SERVICE_UUID, "Device": dbus.ObjectPath(device_path),
                    "Primary": True}, [])
    mock.AddObject(char_path, CHAR_IFACE,
                   {"UUID": STREAM_UUID, "Service": dbus.ObjectPath(service_path),
                    "Flags": dbus.Array(["notify"], signature="s"), "Notifying": False,
                    "Value": dbus.Array([], signature="y")},
                   [("StartNotify", "", "",
                     "self.UpdateProperties('%s', {'Notifying': dbus.Boolean(True, variant_level=1)})" % CHAR_IFACE),
                    ("StopNotify", "", "",
                     "self.UpdateProperties('%s', {'Notifying': dbus.Boolean(False, variant_level=1)})" % CHAR_IFACE)])
    char = bus.get_object("org.bluez", char_path)
    char_props = dbus.Interface(char, "org.freedesktop.DBus.Properties")
    char_mock = dbus.Interface(char, MOCK_IFACE)
    return server, bus, device_path, char_props, char_mock


def notify_frames(char_mock, frame_list, lose_every=0):
    """Plays frames as notifications of ATT_MTU - 3 bytes; returns (sent, chunks)."""
    stream = b"".join(frame_list)
    chunks = [stream[i:i + MTU - 3] for i in range(0, len(stream), MTU - 3)]
    lost = 0
    for n, chunk in enumerate(chunks):
        if lose_every and n % lose_every == lose_every - 1:
            lost += 1
            continue
        char_mock.EmitSignal("org.freedesktop.DBus.Properties", "PropertiesChanged",
                             "sa{sv}as",
                             [CHAR_IFACE, {"Value": dbus.Array(chunk, signature="y")},
                              dbus.Array([], signature="s")])
    return len(chunks) - lost, chunks


def frames_damaged(frame_list, chunks, lose_every):
    """How many frames of frame_list lose at least one byte to the chunks notify_frames drops.

    Every frame carries its own leading and trailing 0x00, so a frame whose own bytes all
    arrive decodes whatever was lost before it (the leading 0x00 ends that garbage)."""
    size = MTU - 3
    lost_ranges = [(n * size, n * size + len(chunks[n])) for n in range(len(chunks))
                   if lose_every and n % lose_every == lose_every - 1]
    damaged = 0
    start = 0
    for frame in frame_list:
        end = start + len(frame)
        if any(lo < end and hi > start for lo, hi in lost_ranges):
            damaged += 1
        start = end
    return damaged


def stop_mock_pod(server):
    server.terminate()
    server.wait()
    dbusmock.DBusTestCase.stop_dbus(dbusmock.DBusTestCase.system_bus_pid)


def main_live(emulator, gaitkeeper, work):
    """`gaitkeeper live --ble` end to end: gateway started by live, steps found."""
    os.makedirs(work, exist_ok=True)
    stream_file = os.path.join(work, "stream.bin")
    subprocess.run([emulator, "--simulate", "20", "--sensors", "feet", "--rate", "1000",
                    "--speed", "0", "--file", stream_file], check=True,
                   stdout=subprocess.DEVNULL)
    frames = frames_of(stream_file)
    server, bus, device_path, char_props, char_mock = start_mock_pod()
    live = None
    try:
        rec = os.path.join(work, "live_ble.gkr")
        live = subprocess.Popen([gaitkeeper, "live", "--ble", ADDRESS, "--no-dashboard",
                                 "--plain", "--idle-timeout", "3", "--no-store", "-o", rec,
                                 "--report", os.path.join(work, "live_ble.report.html"),
                                 "--athlete", "ble_runner"],
                                stdout=subprocess.PIPE, text=True)
        wait_for(lambda: bool(char_props.Get(CHAR_IFACE, "Notifying")), "StartNotify by live's gateway")
        sent, _ = notify_frames(char_mock, frames)
        out, _ = live.communicate(timeout=60)
        live_rc = live.returncode
        live = None
        sys.stdout.write(out[-3000:])
        assert live_rc == 0, live_rc
        ended = [l for l in out.splitlines() if l.startswith("session ended:")]
        assert ended, "live printed no session end"
        steps = int(ended[0].split()[2])
        packets = int(ended[0].split("link: ")[1].split()[0])
        # 2 feet x 20 s x 50 packets/s, every one journaled and decoded.
        assert packets == len(frames), (packets, len(frames))
        # About 2.8 steps/s over 20 s; the first strides settle the detectors.
        assert steps >= 35, steps
        assert os.path.getsize(rec) > 0
        print("live --ble: OK (%d notifications, %d packets, %d steps)" % (sent, packets, steps))
    finally:
        if live is not None:
            live.kill()
            live.wait()
        stop_mock_pod(server)


def main():
    gateway, emulator, gaitkeeper, work = sys.argv[1:5]
    os.makedirs(work, exist_ok=True)
    stream_file = os.path.join(work, "stream.bin")
    subprocess.run([emulator, "--simulate", "4", "--sensors", "feet", "--rate", "1000",
                    "--speed", "0", "--file", stream_file], check=True,
                   stdout=subprocess.DEVNULL)
    frames = frames_of(stream_file)
    assert len(frames) == 400, len(frames)  # 2 feet x 4 s x 50 packets/s
    half = len(frames) // 2

    server, bus, device_path, char_props, char_mock = start_mock_pod()
    gw = None
    rec = None
    try:
        env = dict(os.environ)
        out = os.path.join(work, "ble.gkr")
        stats = os.path.join(work, "stats.json")
        rec_stats = os.path.join(work, "rec.json")
        rec = subprocess.Popen([gaitkeeper, "record", "--udp", "127.0.0.1:0", "-o",
                                os.path.join(work, "fwd.gkr"), "--stats", rec_stats,
                                "--idle-timeout", "3"], stdout=subprocess.PIPE, text=True)
        port = rec.stdout.readline().split()[-1]
        gw = subprocess.Popen([gateway, "--address", ADDRESS, "-o", out, "--stats", stats,
                               "--idle-timeout", "2", "--forward-udp", "127.0.0.1:" + port],
                              env=env, stdout=subprocess.PIPE, text=True)
        wait_for(lambda: bool(char_props.Get(CHAR_IFACE, "Notifying")), "StartNotify")

        sent_first, _ = notify_frames(char_mock, frames[:half])
        # The pod drops out: BlueZ reports Connected = False; the gateway must
        # connect and subscribe again.
        char_mock.UpdateProperties(CHAR_IFACE, {"Notifying": dbus.Boolean(False, variant_level=1)})
        dbus.Interface(bus.get_object("org.bluez", device_path), "org.bluez.Device1").Disconnect()
        wait_for(lambda: bool(char_props.Get(CHAR_IFACE, "Notifying")), "re-subscription")
        sent_second, chunks_second = notify_frames(char_mock, frames[half:], lose_every=10)
        damaged = frames_damaged(frames[half:], chunks_second, 10)
        stdout, _ = gw.communicate(timeout=30)
        gw = None
        sys.stdout.write(stdout)
        s = json.load(open(stats))
        print(json.dumps(s))
        assert s["notifications"] == sent_first + sent_second, s
        assert s["reconnects"] == 1, s
        # Every frame arrives but those the lost notifications cut: the whole first half, and
        # of the second half all but the frames a dropped chunk touched (counted from the
        # chunks themselves). The losses are reported as gaps of exactly those packets.
        assert damaged > 0, damaged
        assert s["packets"] == len(frames) - damaged, (s, damaged)
        assert s["gaps"] > 0 and s["missing"] == damaged, (s, damaged)
        assert s["duplicates"] == 0, s
        rec.communicate(timeout=30)
        rec = None
        r = json.load(open(rec_stats))
        print(json.dumps({k: r[k] for k in ("packets", "missing", "bytes")}))
        assert r["bytes"] == s["bytes"] and r["packets"] == s["packets"], (r, s)
        assert r["missing"] == s["missing"], (r, s)
        print("ble gateway: OK")
    finally:
        for p in (gw, rec):
            if p is not None:
                p.kill()
                p.wait()
        stop_mock_pod(server)


if __name__ == "__main__":
    if len(sys.argv) > 5 and sys.argv[5] == "live":
        main_live(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        main()
