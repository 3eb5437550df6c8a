// Copies browser assets from node_modules into /static so running the site never needs Node.
// Run with `npm run vendor` (part of `npm run build`).
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const staticDir = path.resolve(root, "..", "..", "static");

const copies = [
  ["node_modules/htmx.org/dist/htmx.min.js", "vendor/htmx.min.js"],
  ["node_modules/htmx.org/LICENSE", "vendor/htmx.LICENSE.txt"],
  ["node_modules/@fontsource/fraunces/LICENSE", "fonts/fraunces.LICENSE.txt"],
  // Agora Web SDK (voice/video readings): the self-contained UMD build, exposes window.AgoraRTC.
  ["node_modules/agora-rtc-sdk-ng/AgoraRTC_N-production.js", "vendor/agora-rtc-sdk-ng.min.js"],
];
for (const weight of ["400", "600"]) {
  for (const style of ["normal", "italic"]) {
    if (weight === "600" && style === "italic") continue;
    const name = `fraunces-latin-${weight}-${style}.woff2`;
    copies.push([`node_modules/@fontsource/fraunces/files/${name}`, `fonts/${name}`]);
  }
}

for (const [from, to] of copies) {
  const src = path.join(root, from);
  const dest = path.join(staticDir, to);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.copyFileSync(src, dest);
  console.log(`copied ${from} -> static/${to}`);
}
