// Fills Node's compile cache with the modules the service's start loads, without starting it: the
// image's build runs `node dist/compile-cache-warm.js` with NODE_COMPILE_CACHE set (Dockerfile), so
// that a new pod reads their compiled code instead of compiling it. The imports are main.ts's own
// (compile-cache-warm.spec.ts keeps the two lists equal); Node writes the cache when this exits.
import './compile-cache';
import './tracing/register';
import 'reflect-metadata';
import 'typeorm';
import './app.factory';
import './config/config';
import './logging/logger';
import './runtime';
import './users/first-admin';
import './shutdown';
import './tracing/tracing';
