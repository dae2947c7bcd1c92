/** The Export screen's progress and result. */
import { failureText, type Loaded } from "../common/result";

/** The stages `export-progress` announces, in order. */
export const STAGES = ["proving", "reporting", "signing", "writing"] as const;

const WORDS: Record<(typeof STAGES)[number], string> = {
  proving: "Building the proofs",
  reporting: "Writing the report",
  signing: "Signing the manifest",
  writing: "Writing the pack",
};

/** `Step 2 of 4: writing the report`; an unknown stage is shown as it is. */
export function stageLine(stage: string): string {
  const i = STAGES.indexOf(stage as (typeof STAGES)[number]);
  if (i < 0) return stage;
  return `Step ${i + 1} of ${STAGES.length}: ${WORDS[STAGES[i] as (typeof STAGES)[number]].toLowerCase()}`;
}

/** The file name of a path, for a short mention (the full path is shown to copy). */
export function baseName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}

/** What "Show in folder" came to: the file manager was asked, or why it could not be. */
export function folderLine(path: string, r: Loaded<null>): { ok: boolean; text: string } {
  if (r.ok) return { ok: true, text: `Asked your file manager to show ${baseName(path)} in its folder.` };
  return { ok: false, text: `The folder could not be shown: ${failureText(r)}` };
}
