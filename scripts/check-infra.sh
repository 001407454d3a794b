#!/usr/bin/env bash
# npm run check:infra
#
# Type-checks the deployable infrastructure (sst.config.ts, stacks/ and the shared modules they import)
# against SST's real component types, without AWS credentials and without downloads from anywhere but the
# npm registry.
#
# How: SST's CLI keeps its component library ("the platform") inside its binary. `sst install` writes it to
# .sst/platform, installs the platform's npm dependencies there (@pulumi/pulumi, @pulumi/aws, ...) with
# Bun, and generates .sst/platform/config.d.ts, which declares the globals (`$config`, `sst`, `aws`, `$app`,
# ...). By default the CLI first downloads the Pulumi and Bun binaries from GitHub; neither is reachable
# here, and the Pulumi engine is only needed to deploy. So:
#   - SST_SKIP_DEPENDENCY_CHECK=1 skips those downloads;
#   - Bun comes from the npm registry (@oven/bun-<platform>, the package the `bun` npm package installs),
#     pinned to the release SST itself would download, and is handed to the CLI with SST_BUN_PATH;
#   - `bun install` resolves the platform's dependencies from the npm registry with SST's own lockfile.
# Then `tsc -p tsconfig.infra.json` checks the config and stacks against those types.
#
# Idempotent: Bun is kept in .sst/tools and the platform is reinstalled only when the SST version, the Bun
# version or sst.config.ts (which declares the providers) changed. A second run does no network access.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The Bun release SST 4.17.x downloads for itself (`sst install` without SST_SKIP_DEPENDENCY_CHECK names it).
# Keep in step when upgrading sst.
BUN_VERSION=1.2.1
# Any stage name works: install only evaluates app() for its provider list, and touches no AWS account.
STAGE="${SST_STAGE:-check-infra}"

export SST_SKIP_DEPENDENCY_CHECK=1
export SST_TELEMETRY_DISABLED=1
export DO_NOT_TRACK=1

started=$(date +%s)
log() { printf '[check:infra] %s\n' "$*"; }
fail() {
  printf '[check:infra] FAILED: %s\n' "$*" >&2
  exit 1
}

[ -x node_modules/.bin/sst ] || fail "node_modules/.bin/sst is missing; run npm ci first"
[ -x node_modules/.bin/tsc ] || fail "node_modules/.bin/tsc is missing; run npm ci first"
sst_version=$(node -p "require('./node_modules/sst/package.json').version")

# 1. Bun from the npm registry, for this OS and CPU. The baseline builds need no AVX2.
bun_package=$(node -e '
  const { platform, arch } = process;
  const musl = platform === "linux" && !process.report.getReport().header.glibcVersionRuntime;
  const name = {
    "linux-x64": musl ? "bun-linux-x64-musl-baseline" : "bun-linux-x64-baseline",
    "linux-arm64": musl ? "bun-linux-aarch64-musl" : "bun-linux-aarch64",
    "darwin-x64": "bun-darwin-x64-baseline",
    "darwin-arm64": "bun-darwin-aarch64",
  }[`${platform}-${arch}`];
  if (!name) { console.error(`no Bun build for ${platform}-${arch}`); process.exit(1); }
  console.log(`@oven/${name}`);
')
tools_dir=".sst/tools/bun-${BUN_VERSION}"
bun_bin="${PWD}/${tools_dir}/node_modules/${bun_package}/bin/bun"
if [ -x "$bun_bin" ] && [ "$("$bun_bin" --version 2>/dev/null)" = "$BUN_VERSION" ]; then
  log "bun ${BUN_VERSION}: ${tools_dir} (cached)"
else
  log "bun ${BUN_VERSION}: npm install ${bun_package}@${BUN_VERSION} into ${tools_dir}"
  rm -rf "$tools_dir"
  mkdir -p "$tools_dir"
  npm install --prefix "$tools_dir" --no-save --no-package-lock --ignore-scripts --no-audit --no-fund \
    --loglevel=error "${bun_package}@${BUN_VERSION}"
  [ "$("$bun_bin" --version)" = "$BUN_VERSION" ] || fail "bun at ${bun_bin} is not ${BUN_VERSION}"
fi

# 2. SST's platform: component sources, their npm dependencies and the generated config.d.ts.
stamp_file=.sst/platform/.check-infra-stamp
stamp="sst=${sst_version} bun=${BUN_VERSION} config=$(sha256sum sst.config.ts | cut -d' ' -f1)"
if [ -f .sst/platform/config.d.ts ] && [ -d .sst/platform/node_modules/@pulumi/aws ] \
  && [ "$(cat "$stamp_file" 2>/dev/null)" = "$stamp" ]; then
  log "sst ${sst_version} platform: .sst/platform (up to date)"
else
  log "sst ${sst_version} platform: sst install --stage ${STAGE} (bun install from the npm registry)"
  rm -f "$stamp_file"
  SST_BUN_PATH="$bun_bin" node_modules/.bin/sst install --stage "$STAGE" \
    || fail "sst install failed (see .sst/log/ or rerun with SST_PRINT_LOGS=1)"
  [ -f .sst/platform/config.d.ts ] || fail "sst install did not write .sst/platform/config.d.ts"
  [ -d .sst/platform/node_modules/@pulumi/aws ] || fail "sst install did not install @pulumi/aws"
  printf '%s\n' "$stamp" >"$stamp_file"
fi

# 3. The type check itself.
log "tsc -p tsconfig.infra.json (sst.config.ts, stacks/, shared modules they import)"
node_modules/.bin/tsc -p tsconfig.infra.json || fail "type errors in the infrastructure definition (above)"

log "OK in $(($(date +%s) - started))s"
