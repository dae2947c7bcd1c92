// Svelte 5 strips TypeScript from components itself, so no preprocessor is needed; this file only tells the
// Vite plugin and svelte-check that the defaults are meant.
export default {};
