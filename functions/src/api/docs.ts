// The documentation page at /docs: Swagger UI from the swagger-ui-dist package installed beside the
// function (no CDN: the page and every file it loads come from this server), reading /v1/openapi.json.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** A file the docs page serves. */
export interface Asset {
  type: string;
  body: Buffer;
}

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>scansApi</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

// validatorUrl null: Swagger UI would otherwise send the document to validator.swagger.io for a badge.
const init = `window.ui = SwaggerUIBundle({
  url: "/v1/openapi.json",
  dom_id: "#swagger-ui",
  validatorUrl: null,
  deepLinking: true,
});
`;

const packaged: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

/** The page (under "") and its files by name, read from swagger-ui-dist once. */
export function loadDocs(): Map<string, Asset> {
  const directory = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  const assets = new Map<string, Asset>([
    ["", { type: "text/html; charset=utf-8", body: Buffer.from(page) }],
    ["init.js", { type: "text/javascript; charset=utf-8", body: Buffer.from(init) }],
  ]);
  for (const [name, type] of Object.entries(packaged))
    assets.set(name, { type, body: readFileSync(join(directory, name)) });
  return assets;
}
