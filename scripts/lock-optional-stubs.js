#!/usr/bin/env node
// The npm registry reachable from our build machines does not carry every platform build of packages
// with per-platform optional dependencies (@swc/core-darwin-*, unrs resolver bindings, ...). npm 11 then
// writes a lock file without those entries, and `npm ci` refuses it ("Missing: … from lock file").
// This adds a bare optional entry for each missing optional dependency: `npm ci` skips an optional
// package it cannot fetch or that does not fit the platform, so the lock stays valid everywhere.
// Run after `npm install` changes the lock file.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const lockPath = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(lockPath, 'utf8'));
let added = 0;
for (const [key, entry] of Object.entries(lock.packages)) {
  for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
    const base = key === '' ? '' : `${key}/`;
    const nested = `${base}node_modules/${name}`;
    const top = `node_modules/${name}`;
    if (lock.packages[nested] || lock.packages[top]) continue;
    lock.packages[top] = { version: range.replace(/^[\^~]/, ''), optional: true };
    added += 1;
  }
}
fs.writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(`lock-optional-stubs: added ${added} optional entr${added === 1 ? 'y' : 'ies'}\n`);
