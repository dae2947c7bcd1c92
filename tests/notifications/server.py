#!/usr/bin/python3
"""A freedesktop notification server for tests: implements org.freedesktop.Notifications on the session bus
(DBUS_SESSION_BUS_ADDRESS), logs what it is asked, and plays the user.

Environment:
  VARGATE_TEST_NOTIFY_LOG           file that gets one JSON line per call: a shown notification
                                    {id, app_name, summary, body, actions, hints, expire_timeout}, a close
                                    {closed: id}, an invoked action {invoked: id, action: key}
  VARGATE_TEST_NOTIFY_INVOKE        action key to invoke (approve, deny, default; empty: none) on every
                                    notification that offers it, 500 ms after it is shown, as a user would
  VARGATE_TEST_NOTIFY_INVOKE_IF     only invoke on notifications whose summary contains this text (e.g. a
                                    tool's name), so that a test can act on some requests and leave others
  VARGATE_TEST_NOTIFY_RULES         instead of the two above, "ACTION=TEXT;ACTION=TEXT": press ACTION on the
                                    first notification whose summary contains TEXT (each rule once)
  VARGATE_TEST_NOTIFY_NO_ACTIONS=1  the server announces no "actions" capability (buttons unsupported)
  VARGATE_TEST_NOTIFY_SILENT_CLOSE=1  CloseNotification closes without announcing NotificationClosed (as a
                                    faulty server would), to test that the client does not wait forever

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

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
IFACE = "org.freedesktop.Notifications"

# NotificationClosed reasons (specification 1.2).
DISMISSED = 2
CLOSED_BY_CALL = 3


class Server(dbus.service.Object):
    def __init__(self, bus_name, log_path, invoke, actions, silent_close, invoke_if="", rules=""):
        super().__init__(bus_name, PATH)
        self.log_path = log_path
        self.invoke = invoke
        self.invoke_if = invoke_if
        # (action, text, still to fire) for VARGATE_TEST_NOTIFY_RULES.
        self.rules = [[a, t, True] for a, _, t in (r.partition("=") for r in rules.split(";") if "=" in r)]
        self.actions = actions
        self.silent_close = silent_close
        self.next_id = 1
        self.open = set()

    def log(self, entry):
        if self.log_path:
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")

    @dbus.service.method(IFACE, in_signature="", out_signature="as")
    def GetCapabilities(self):
        return ["body", "actions"] if self.actions else ["body"]

    @dbus.service.method(IFACE, in_signature="susssasa{sv}i", out_signature="u")
    def Notify(self, app_name, replaces_id, app_icon, summary, body, actions, hints, expire_timeout):
        if replaces_id:
            nid = int(replaces_id)
        else:
            nid = self.next_id
            self.next_id += 1
        self.open.add(nid)
        actions = [str(a) for a in actions]
        self.log({
            "id": nid,
            "app_name": str(app_name),
            "summary": str(summary),
            "body": str(body),
            "actions": actions,
            "hints": sorted(str(k) for k in hints.keys()),
            "expire_timeout": int(expire_timeout),
        })
        # Keys are the even entries, labels the odd ones.
        for rule in self.rules:
            action, text, armed = rule
            if armed and self.actions and text in str(summary) and action in actions[0::2]:
                rule[2] = False
                GLib.timeout_add(500, self.act, nid, action)
                return dbus.UInt32(nid)
        wanted = not self.invoke_if or self.invoke_if in str(summary)
        if self.invoke and wanted and self.actions and self.invoke in actions[0::2]:
            # Not at once: the client subscribes to the signal only after Notify has returned.
            GLib.timeout_add(500, self.act, nid, self.invoke)
        return dbus.UInt32(nid)

    def act(self, nid, key):
        if nid in self.open:
            self.open.discard(nid)
            self.log({"invoked": nid, "action": key})
            self.ActionInvoked(dbus.UInt32(nid), key)
            self.NotificationClosed(dbus.UInt32(nid), dbus.UInt32(DISMISSED))
        return False  # one shot

    @dbus.service.method(IFACE, in_signature="u", out_signature="")
    def CloseNotification(self, nid):
        nid = int(nid)
        self.log({"closed": nid})
        if nid in self.open:
            self.open.discard(nid)
            if not self.silent_close:
                self.NotificationClosed(dbus.UInt32(nid), dbus.UInt32(CLOSED_BY_CALL))

    @dbus.service.method(IFACE, in_signature="", out_signature="ssss")
    def GetServerInformation(self):
        return ("vargate-test-notifications", "Vargate", "1.0", "1.2")

    @dbus.service.signal(IFACE, signature="uu")
    def NotificationClosed(self, nid, reason):
        pass

    @dbus.service.signal(IFACE, signature="us")
    def ActionInvoked(self, nid, action_key):
        pass


def main():
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        print("DBUS_SESSION_BUS_ADDRESS is not set: refusing to serve on an unknown bus", file=sys.stderr)
        return 2
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    # Fail rather than queue behind another server: the test must talk to this one.
    name = dbus.service.BusName(NAME, bus, do_not_queue=True)
    Server(
        name,
        os.environ.get("VARGATE_TEST_NOTIFY_LOG", ""),
        os.environ.get("VARGATE_TEST_NOTIFY_INVOKE", ""),
        os.environ.get("VARGATE_TEST_NOTIFY_NO_ACTIONS", "") != "1",
        os.environ.get("VARGATE_TEST_NOTIFY_SILENT_CLOSE", "") == "1",
        os.environ.get("VARGATE_TEST_NOTIFY_INVOKE_IF", ""),
        os.environ.get("VARGATE_TEST_NOTIFY_RULES", ""),
    )
    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, lambda: (loop.quit(), False)[1])
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
