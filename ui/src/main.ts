import { invoke, isTauri } from "@tauri-apps/api/core";
import { COMPONENTS, formatStatusLine } from "./status";
import "./style.css";

function renderComponents(list: HTMLElement): void {
  list.replaceChildren(
    ...COMPONENTS.map((c) => {
      const item = document.createElement("li");
      item.className = c.ready ? "ready" : "pending";
      item.textContent = `${c.name}: ${c.ready ? "ready" : "next"}`;
      return item;
    }),
  );
}

async function appVersion(): Promise<string | null> {
  if (!isTauri()) return null;
  try {
    return await invoke<string>("app_version");
  } catch (err) {
    console.error("app_version failed", err);
    return null;
  }
}

async function start(): Promise<void> {
  const list = document.getElementById("components");
  const status = document.getElementById("status");
  if (list) renderComponents(list);
  if (status) status.textContent = formatStatusLine(await appVersion(), COMPONENTS);
}

void start();
