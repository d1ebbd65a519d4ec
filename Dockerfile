# The three images of docker-compose.yml from one multi-stage build: `deps` installs the workspace's
# dependencies once, then each image has a build stage on it and a final stage on the bare base, named by its
# target. Build from the repository root (the bundles need the workspace's lock file):
#   docker build --target emulators -t scan-ingest/emulators .
#   docker build --target function -t scan-ingest/function .
#   docker build --target scanner -t scan-ingest/scanner .
# A target needs `deps` and its own stages only, so BuildKit and buildah build no other image's (no final
# stage reaches another image's build stage: test/compose.test.ts checks it). Without --target: the scanner.
# BASE_IMAGE is for machines that cannot pull it; test/containers builds a stand-in under the same name.
ARG BASE_IMAGE=node:24-slim

FROM ${BASE_IMAGE} AS deps
WORKDIR /src
# Every workspace's manifest, or npm ci refuses the lock file (test/compose.test.ts checks the list).
COPY package.json package-lock.json ./
COPY functions/package.json functions/
COPY scanner/package.json scanner/
COPY emulators/firestore/package.json emulators/firestore/
COPY emulators/pubsub/package.json emulators/pubsub/
COPY emulators/google/package.json emulators/google/
COPY emulators/shared/package.json emulators/shared/
COPY console/package.json console/
COPY pipeline/package.json pipeline/
# No install scripts: the image's own Node 24 runs the build, and esbuild's binary comes as a plain package.
RUN npm ci --ignore-scripts --no-audit --no-fund

# emulators: both embedded emulators (Firestore 8080, Pub/Sub 8085) as one small container without Java: one
# esbuild bundle of emulators/cli.ts plus the proto files it reads at run time, as the unprivileged `node` user.
FROM deps AS emulators-build
# The bundle imports nothing outside emulators/ (test/compose.test.ts checks it).
COPY emulators/ emulators/
RUN node emulators/build.ts /out

FROM ${BASE_IMAGE} AS emulators
ENV NODE_ENV=production
WORKDIR /app
COPY --from=emulators-build /out/ ./
USER node
EXPOSE 8080 8085
# Node is PID 1: the emulators stop on SIGTERM themselves. 0.0.0.0, so other containers reach them.
ENTRYPOINT ["node", "/app/emulators.js"]
CMD ["--host", "0.0.0.0", "--firestore-port", "8080", "--pubsub-port", "8085"]

# function: ingestScan as Cloud Run's Node.js buildpack runs a function: the functions/dist bundle with its
# production dependencies only (functions-framework), started by functions-framework on $PORT (8080),
# unprivileged.
FROM deps AS function-build
COPY functions/ functions/
COPY emulators/shared/ emulators/shared/
# `npm run build`'s output (dist/package.json lists functions-framework only), then what the buildpack does
# with it: a production install. The framework is pinned to the lock file's version, the one tests ran.
RUN node functions/build.ts /out \
 && version=$(node -p 'require("./package-lock.json").packages["node_modules/@google-cloud/functions-framework"].version') \
 && cd /out \
 && npm pkg set "dependencies.@google-cloud/functions-framework=$version" \
 && npm install --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -f package-lock.json

FROM ${BASE_IMAGE} AS function
ENV NODE_ENV=production PORT=8080
WORKDIR /app
COPY --from=function-build /out/ ./
USER node
EXPOSE 8080
ENTRYPOINT ["node", "/app/node_modules/@google-cloud/functions-framework/build/src/main.js", "--source=/app", "--target=ingestScan", "--signature-type=cloudevent"]

# scanner: the scanner as a small container: one esbuild bundle on node:24-slim, run as the unprivileged `node`
# user. The same image holds docker-compose.yml's one-shot `init` (cli/topology-init/main.ts as init.cjs),
# which needs the same Pub/Sub client.
FROM deps AS scanner-build
# The workspaces the two bundles import from, whole (test/compose.test.ts checks they hold every file bundled).
COPY scanner/ scanner/
COPY functions/ functions/
COPY pipeline/ pipeline/
COPY emulators/shared/ emulators/shared/
COPY cli/topology-init/ cli/topology-init/
RUN node scanner/build.ts /out/scanner.js \
 && npx esbuild cli/topology-init/main.ts --bundle --platform=node --target=node24 --format=cjs \
      --minify-whitespace --legal-comments=none --log-level=warning --outfile=/out/init.cjs

FROM ${BASE_IMAGE} AS scanner
ENV NODE_ENV=production
WORKDIR /app
COPY --from=scanner-build /out/ ./
USER node
# Node is PID 1 here: the scanner handles SIGTERM itself (flush, exit 0), so `docker stop` is clean.
ENTRYPOINT ["node", "/app/scanner.js"]
