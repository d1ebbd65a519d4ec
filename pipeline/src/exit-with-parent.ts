// Preloaded into every function server `npm start` runs: when the parent goes away, even by SIGKILL, the
// IPC channel closes and the server exits, so no function server outlives the pipeline that started it.
process.on("disconnect", () => process.exit(0));
