#!/usr/bin/python3
"""A freedesktop file manager for tests: owns org.freedesktop.FileManager1 on the session bus
(DBUS_SESSION_BUS_ADDRESS) and records what it is asked to show, as the app's "Show in folder" asks a real one
(tauri-plugin-opener's reveal_item_in_dir calls ShowItems with the file's URI and an empty startup id).

Environment:
  VARGATE_TEST_FILE_MANAGER_LOG  file that gets one JSON line per call: {"method": "ShowItems", "uris": [...],
                                 "startup_id": "..."} (ShowFolders and ShowItemProperties likewise)

Needs python3-dbus and python3-gi (Debian packages). Exits 0 on SIGTERM or SIGINT.
"""

import json
import os
import signal
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

NAME = "org.freedesktop.FileManager1"
PATH = "/org/freedesktop/FileManager1"
IFACE = "org.freedesktop.FileManager1"


class FileManager(dbus.service.Object):
    def __init__(self, bus_name, log_path):
        super().__init__(bus_name, PATH)
        self.log_path = log_path

    def log(self, method, uris, startup_id):
        if self.log_path:
            with open(self.log_path, "a", encoding="utf-8") as f:
                entry = {"method": method, "uris": [str(u) for u in uris], "startup_id": str(startup_id)}
                f.write(json.dumps(entry) + "\n")

    @dbus.service.method(IFACE, in_signature="ass", out_signature="")
    def ShowItems(self, uris, startup_id):
        self.log("ShowItems", uris, startup_id)

    @dbus.service.method(IFACE, in_signature="ass", out_signature="")
    def ShowFolders(self, uris, startup_id):
        self.log("ShowFolders", uris, startup_id)

    @dbus.service.method(IFACE, in_signature="ass", out_signature="")
    def ShowItemProperties(self, uris, startup_id):
        self.log("ShowItemProperties", uris, startup_id)


def main():
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        print("DBUS_SESSION_BUS_ADDRESS is not set: refusing to serve on an unknown bus", file=sys.stderr)
        return 2
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    # Fail rather than queue behind another file manager: the test must talk to this one.
    name = dbus.service.BusName(NAME, bus, do_not_queue=True)
    FileManager(name, os.environ.get("VARGATE_TEST_FILE_MANAGER_LOG", ""))
    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, lambda: (loop.quit(), False)[1])
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
