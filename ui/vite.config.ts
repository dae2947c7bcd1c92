import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vitest/config";

// Tauri serves ui/dist from the app itself; the dev server is only used with `tauri dev`.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // WebKitGTK 2.40+ (Debian 12) handles ES2021 comfortably.
    target: "es2021",
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
  },
});
