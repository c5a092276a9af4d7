// Validates the prometheus-operator objects of a rendered chart (ServiceMonitor,
// PrometheusRule) against the operator's CRD schemas, which kubernetes-validate does not have
// (it skips custom resources with a warning). The schemas come from the npm package
// @kubernetes-models/prometheus-operator, pinned in package.json / package-lock.json beside
// this file and installed by scripts/check-deploy.sh.
//
//   node crd-validate.js NODE_MODULES_DIR DOCS.json
//
// DOCS.json is a JSON array of the rendered documents (deploy_checks.py crd-docs). Every
// monitoring.coreos.com document must be of a kind the package knows and must validate;
// exits 1 otherwise, printing ajv's account of each failure.
"use strict";
const fs = require("fs");
const path = require("path");
const { createRequire } = require("module");

const [modulesDir, docsFile] = process.argv.slice(2);
if (!modulesDir || !docsFile) {
  console.error("usage: node crd-validate.js NODE_MODULES_DIR DOCS.json");
  process.exit(2);
}
const load = createRequire(path.join(path.resolve(modulesDir), "noop.js"));
const models = {};
for (const version of ["v1", "v1alpha1"]) {
  models[`monitoring.coreos.com/${version}`] = load(`@kubernetes-models/prometheus-operator/monitoring.coreos.com/${version}`);
}

let failed = 0;
let checked = 0;
for (const doc of JSON.parse(fs.readFileSync(docsFile, "utf8"))) {
  if (!String(doc.apiVersion || "").startsWith("monitoring.coreos.com/")) continue;
  const name = `${doc.kind}/${(doc.metadata || {}).name}`;
  const Model = (models[doc.apiVersion] || {})[doc.kind];
  checked++;
  if (typeof Model !== "function") {
    console.log(`FAILED: ${name}: no schema for ${doc.apiVersion} ${doc.kind}`);
    failed++;
    continue;
  }
  try {
    new Model(doc).validate();
    console.log(`ok: ${name} (${doc.apiVersion})`);
  } catch (e) {
    console.log(`FAILED: ${name}: ${e.message}`);
    failed++;
  }
}
console.log(`${checked} custom resource(s) checked, ${failed} failed`);
process.exit(failed ? 1 : 0);
