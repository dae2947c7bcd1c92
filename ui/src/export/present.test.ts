import { describe, expect, it } from "vitest";
import { baseName, folderLine, stageLine } from "./present";

describe("export progress", () => {
  it("numbers the stages", () => {
    expect(stageLine("proving")).toBe("Step 1 of 4: building the proofs");
    expect(stageLine("writing")).toBe("Step 4 of 4: writing the pack");
    expect(stageLine("anchoring")).toBe("anchoring");
  });

  it("names the file written", () => {
    expect(baseName("/home/ana/Documents/Vargate/sesn_1.pack.zip")).toBe("sesn_1.pack.zip");
    expect(baseName("C:\\Users\\ana\\sesn_1.pack.zip")).toBe("sesn_1.pack.zip");
  });
});

describe("show in folder", () => {
  it("says what the file manager was asked, or why it could not be", () => {
    const path = "/home/ana/Documents/Vargate/sesn_1.pack.zip";
    expect(folderLine(path, { ok: true, data: null })).toEqual({
      ok: true,
      text: "Asked your file manager to show sesn_1.pack.zip in its folder.",
    });
    const failed = { ok: false as const, code: "failed" as const, message: "no file manager answered" };
    expect(folderLine(path, failed)).toEqual({
      ok: false,
      text: "The folder could not be shown: no file manager answered",
    });
  });
});
