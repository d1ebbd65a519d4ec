// The emulators' defaults: the project they are used with and the ports they listen on, for both emulator
// commands (`npm run emulators:embedded`, `npm run emulators:google`). @scan-ingest/pipeline/defaults takes them into
// npm start's defaults. Nothing imported, so any bundle can hold it as it is.

/** The project the emulators and tools use when none is named; a demo- project never reaches Google. */
export const DEFAULT_PROJECT = "demo-scan";

/** The emulators' ports; docker-compose.yml and firebase.json put them on the same ones. */
export const DEFAULT_EMULATOR_PORTS = { firestore: 8080, pubsub: 8085 } as const;
