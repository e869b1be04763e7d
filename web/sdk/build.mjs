// Builds the browser SDK into dist/ (scripts/web-build.sh copies dist/ to web/out/sdk/, which
// Voxa serves at /sdk/):
//   voxa-web.js       ES module: `import Vapi from '<voxa>/sdk/voxa-web.js'`
//   voxa-web.umd.js   UMD: window.Vapi (and window.VoxaWeb), CommonJS or AMD
//   widget.js         the embeddable call button (<script src=".../sdk/widget.js" data-...>)
//   capture-worklet.js, playback-worklet.js   the AudioWorklets the SDK loads from <baseUrl>/sdk/
//   sizes.json        each file's bytes, minified and gzipped
// Run: npm run build (node build.mjs). esbuild is pinned in package-lock.json.
import { build, transform } from "esbuild";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "dist");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const common = {
  bundle: true,
  minify: true,
  target: "es2020",
  platform: "browser",
  legalComments: "none",
  logLevel: "warning",
  logOverride: { "empty-import-meta": "silent" },
};

await build({ ...common, entryPoints: [join(here, "src/index.ts")], format: "esm", outfile: join(out, "voxa-web.js") });
await build({
  ...common,
  entryPoints: [join(here, "src/index.ts")],
  format: "iife",
  globalName: "VoxaWeb",
  outfile: join(out, "voxa-web.umd.js"),
  banner: {
    js: "(function(r,f){if(typeof define=='function'&&define.amd)define([],f);else if(typeof module=='object'&&module.exports)module.exports=f();else{var m=f();r.VoxaWeb=m;r.Vapi=m.default}})(typeof self<'u'?self:this,function(){",
  },
  footer: { js: "return VoxaWeb});" },
});
await build({ ...common, entryPoints: [join(here, "src/widget.ts")], format: "iife", outfile: join(out, "widget.js") });
for (const w of ["capture-worklet.js", "playback-worklet.js"]) {
  const src = readFileSync(join(here, "src/worklets", w), "utf8");
  const r = await transform(src, { minify: true, target: "es2020", loader: "js", legalComments: "none" });
  writeFileSync(join(out, w), r.code);
}

const sizes = {};
for (const f of ["voxa-web.js", "voxa-web.umd.js", "widget.js", "capture-worklet.js", "playback-worklet.js"]) {
  const b = readFileSync(join(out, f));
  sizes[f] = { min: b.length, gzip: gzipSync(b, { level: 9 }).length };
}
writeFileSync(join(out, "sizes.json"), JSON.stringify(sizes, null, 2) + "\n");
console.log("sdk: " + Object.entries(sizes).map(([f, s]) => `${f} ${s.min} B (${s.gzip} B gzip)`).join(", "));
