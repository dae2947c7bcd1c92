import { describe, expect, it } from "vitest";
import { baseName, stageLine } from "./present";

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
