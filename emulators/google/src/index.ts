export { findGoogleEmulators, INSTALL_HINT, type FindResult, type GoogleEmulatorsInstall } from "./find.ts";
export {
  freePort,
  GoogleEmulatorError,
  startGoogleEmulators,
  startGoogleFirestore,
  startGooglePubsub,
  waitForPort,
  type GoogleEmulator,
  type GoogleEmulators,
} from "./launch.ts";
