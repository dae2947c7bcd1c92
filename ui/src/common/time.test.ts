import { describe, expect, it } from "vitest";
import { formatAgo, formatTime, timeLeft } from "./time";

const NOW = Date.parse("2026-11-25T12:00:00Z");

describe("timeLeft", () => {
  it("counts down in minutes and seconds", () => {
    expect(timeLeft("2026-11-25T12:01:45Z", NOW)).toEqual({
      seconds: 105,
      text: "1:45 left",
      urgent: false,
      expired: false,
    });
  });

  it("is urgent under 30 seconds, and rounds a part second up", () => {
    expect(timeLeft("2026-11-25T12:00:08.200Z", NOW)).toMatchObject({ seconds: 9, text: "0:09 left", urgent: true });
  });

  it("shows hours when there are any", () => {
    expect(timeLeft("2026-11-25T13:02:03Z", NOW).text).toBe("1:02:03 left");
  });

  it("is expired at and after the deadline, and when the deadline cannot be read (fail closed)", () => {
    expect(timeLeft("2026-11-25T12:00:00Z", NOW)).toMatchObject({ text: "expired", expired: true, seconds: 0 });
    expect(timeLeft("2026-11-25T11:00:00Z", NOW).expired).toBe(true);
    expect(timeLeft("soon", NOW).expired).toBe(true);
  });
});

describe("formatAgo", () => {
  it.each([
    ["2026-11-25T11:59:58Z", "just now"],
    ["2026-11-25T11:59:18Z", "42 s ago"],
    ["2026-11-25T11:55:00Z", "5 min ago"],
    ["2026-11-25T09:00:00Z", "3 h ago"],
    ["2026-11-22T12:00:00Z", "3 d ago"],
  ])("%s is %s", (iso, text) => {
    expect(formatAgo(iso, NOW)).toBe(text);
  });

  it("shows an unreadable time as it is", () => {
    expect(formatAgo("yesterday", NOW)).toBe("yesterday");
  });
});

describe("formatTime", () => {
  it("shows the time of day for today, and the date for other days", () => {
    const local = new Date(NOW);
    const iso = new Date(local.getFullYear(), local.getMonth(), local.getDate(), 9, 5, 7).toISOString();
    expect(formatTime(iso, NOW)).toBe("09:05:07");
    const earlier = new Date(2025, 0, 2, 3, 4, 5).toISOString();
    expect(formatTime(earlier, NOW)).toBe("2025-01-02 03:04");
  });
});
