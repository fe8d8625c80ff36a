// Validates Kubernetes manifests offline against the Kubernetes OpenAPI schemas that the
// kubernetes-models package ships (types, required fields, enums, formats).
//   node deploy/tools/validate-k8s.mjs deploy/k8s
// Every YAML document of every *.yaml file in the directory must parse without warnings and be a known
// kind; a kustomization.yaml must list exactly the other files. Prints one line per object; exits 1 on
// the first file with problems, after reporting all of them.
import { readdirSync, readFileSync } from "node:fs";
import { join, basename } from "node:path";
import { parseAllDocuments } from "yaml";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node validate-k8s.mjs <directory of manifests>");
  process.exit(2);
}

// apiVersion "apps/v1" → module "kubernetes-models/apps/v1/<Kind>"; the core group "v1" → "kubernetes-models/v1/<Kind>".
async function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string" || !/^[A-Za-z]+$/.test(kind)) return null;
  try {
    const module = await import(`kubernetes-models/${apiVersion}/${kind}`);
    return module[kind] ?? null;
  } catch {
    return null;
  }
}

const files = readdirSync(dir).filter((f) => f.endsWith(".yaml") || f.endsWith(".yml")).sort();
const problems = [];
let objects = 0;
let kustomization = null;

for (const file of files) {
  const path = join(dir, file);
  const docs = parseAllDocuments(readFileSync(path, "utf8"), { prettyErrors: true, uniqueKeys: true });
  for (const doc of docs) {
    for (const e of [...doc.errors, ...doc.warnings]) problems.push(`${path}: YAML: ${e.message}`);
    const value = doc.toJS();
    if (value === null || value === undefined) continue;
    if (value.kind === "Kustomization") {
      kustomization = { path, value };
      continue;
    }
    const Model = await modelFor(value.apiVersion, value.kind);
    const name = value?.metadata?.name ?? "<no name>";
    if (!Model) {
      problems.push(`${path}: unknown apiVersion/kind ${value.apiVersion}/${value.kind}`);
      continue;
    }
    try {
      new Model(value).validate();
      objects++;
      console.log(`ok ${path} ${value.apiVersion} ${value.kind}/${name}`);
    } catch (e) {
      problems.push(`${path}: ${value.kind}/${name}: ${e.message}`);
    }
  }
}

if (kustomization) {
  const listed = [...(kustomization.value.resources ?? [])].sort();
  const present = files.filter((f) => f !== basename(kustomization.path)).sort();
  if (JSON.stringify(listed) !== JSON.stringify(present))
    problems.push(`${kustomization.path}: resources ${JSON.stringify(listed)} differ from the manifests present ${JSON.stringify(present)}`);
  else console.log(`ok ${kustomization.path} lists all ${present.length} manifests`);
}

if (objects === 0) problems.push(`${dir}: no Kubernetes objects found`);
for (const p of problems) console.error(`error: ${p}`);
process.exit(problems.length ? 1 : 0);
