export {
  findGoogleEmulators,
  findJava,
  INSTALL_HINT,
  type FindResult,
  type GoogleEmulatorsInstall,
} from "./find.ts";
export {
  GoogleEmulatorError,
  startGoogleEmulators,
  startGoogleFirestore,
  startGooglePubsub,
  type GoogleEmulator,
  type GoogleEmulators,
} from "./launch.ts";
